//! The start page.

use maud::{Markup, html};

use super::{PageCtx, layout};

/// `ca_fingerprint` is shown when the server runs on its generated certificate authority,
/// so a person can compare it with what their browser shows before trusting it.
/// `setup_pending` is true while no operator exists yet.
pub fn home(ctx: &PageCtx, ca_fingerprint: Option<&str>, setup_pending: bool) -> Markup {
    let title = ctx.t("home.title");
    layout::page(
        ctx,
        title,
        html! {
            h1 { (title) }
            p.lead { (ctx.t("home.lead")) }
            @if setup_pending {
                p.card.notice role="status" { (ctx.t("home.setup_pending")) }
            }
            @if let Some(fingerprint) = ca_fingerprint {
                section.card.notice aria-labelledby="trust-title" {
                    h2 #trust-title { (ctx.t("home.trust_title")) }
                    p { (ctx.t("home.trust_text")) }
                    p {
                        a.button href="/ca.pem" download="supportbox-ca.pem" { (ctx.t("footer.ca")) }
                    }
                    p { (ctx.t("home.trust_fingerprint")) br; span.fingerprint { (fingerprint) } }
                }
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
    fn home_offers_the_ca_with_its_fingerprint() {
        let html = home(&ctx(Lang::En), Some("AB:CD"), true).into_string();
        assert!(html.contains("Welcome to Supportbox"));
        assert!(html.contains("AB:CD"));
        assert!(html.contains("href=\"/ca.pem\""));
    }

    #[test]
    fn home_without_generated_ca_has_no_trust_section() {
        let html = home(&ctx(Lang::De), None, false).into_string();
        assert!(html.contains("Willkommen bei Supportbox"));
        assert!(!html.contains("trust-title"));
    }
}
