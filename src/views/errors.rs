//! Error pages inside the normal layout, so a person who hits one can still navigate.

use maud::{Markup, html};

use super::{PageCtx, layout};

/// Which kind of failure to explain; the status code decides.
pub fn error_page(ctx: &PageCtx, status: u16) -> Markup {
    let (title_key, text_key) = match status {
        404 | 405 => ("error.not_found_title", "error.not_found_text"),
        403 => ("error.forbidden_title", "error.forbidden_text"),
        503 => ("error.unavailable_title", "error.unavailable_text"),
        500..=599 => ("error.server_title", "error.server_text"),
        _ => ("error.generic_title", "error.generic_text"),
    };
    let title = ctx.t(title_key);
    layout::page_without_version(
        ctx,
        title,
        html! {
            section.card.error-page {
                p.error-code { (status) }
                h1 { (title) }
                p { (ctx.t(text_key)) }
                @if status >= 500 {
                    p.error-code { (ctx.tf("error.reference", &[("id", &ctx.request_id)])) }
                }
                p { a href="/" { (ctx.t("error.back_home")) } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lang::Lang;
    use crate::views::test_support::ctx;

    #[test]
    fn not_found_and_server_error_read_differently() {
        let nf = error_page(&ctx(Lang::En), 404).into_string();
        assert!(nf.contains("Page not found"));
        assert!(!nf.contains("Reference:"));
        let se = error_page(&ctx(Lang::De), 500).into_string();
        assert!(se.contains("Etwas ist schiefgelaufen"));
        assert!(se.contains("Referenz: req-1"));
    }
}
