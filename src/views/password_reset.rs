//! Password reset: the "forgot your password?" page, the page a reset link opens, and the
//! link an admin hands over.

use maud::{Markup, html};

use super::forms::{
    FieldOpts, FormErrors, InputKind, csrf_field, error_summary, field, field_with,
};
use super::parts::once_box;
use super::{PageCtx, layout};

/// What to do without the password. No mail goes out yet, so the way back is an admin.
pub fn forgot(ctx: &PageCtx) -> Markup {
    let title = ctx.t("reset.forgot_title");
    layout::page(
        ctx,
        title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p { (ctx.t("reset.forgot_text")) }
                p.hint { (ctx.t("reset.forgot_validity")) }
                p.link-list { a href="/login" { (ctx.t("reset.to_login")) } }
            }
        },
    )
}

/// The page a live reset link opens: the new password, twice.
pub fn choose(ctx: &PageCtx, email: &str, errors: &FormErrors) -> Markup {
    let title = ctx.t("reset.title");
    layout::page(
        ctx,
        title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p.lead { (ctx.tf("reset.lead", &[("email", email)])) }
                (error_summary(ctx, errors))
                form method="post" action=(ctx.current_path) {
                    (csrf_field(ctx))
                    (field_with(ctx, errors, "password", InputKind::NewPassword, "", FieldOpts {
                        required: true,
                        hint_key: Some("hint.password"),
                        ..FieldOpts::default()
                    }))
                    (field(ctx, errors, "password_confirm", InputKind::NewPassword, "", true))
                    p.hint { (ctx.t("reset.sessions_note")) }
                    div.actions { button type="submit" { (ctx.t("reset.button")) } }
                }
            }
        },
    )
}

/// A link that is unknown, used, expired, or outlived by a password change or a disabled
/// membership: one page for all, so a link's history does not show.
pub fn invalid(ctx: &PageCtx) -> Markup {
    let title = ctx.t("reset.invalid_title");
    layout::page(
        ctx,
        title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p { (ctx.t("reset.invalid_text")) }
                p.link-list { a href="/login" { (ctx.t("reset.to_login")) } }
            }
        },
    )
}

/// The link just issued, for the admin to hand over; shown once.
pub fn issued(ctx: &PageCtx, email: &str, link: &str) -> Markup {
    html! {
        p { (ctx.tf("reset.issued_for", &[("email", email)])) }
        (once_box(ctx, "reset-link", "reset.link_title", "reset.link_text", link))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lang::Lang;
    use crate::views::test_support::{assert_labelled, ctx};

    #[test]
    fn the_pages_speak_both_languages_and_label_every_field() {
        let html = choose(&ctx(Lang::En), "nora@example.org", &FormErrors::new()).into_string();
        assert!(html.contains("nora@example.org"));
        assert!(html.contains("autocomplete=\"new-password\""));
        assert_labelled(&html);
        let html = forgot(&ctx(Lang::De)).into_string();
        assert!(html.contains("Passwort vergessen?"));
        let html = invalid(&ctx(Lang::En)).into_string();
        assert!(html.contains("does not work"));
    }
}
