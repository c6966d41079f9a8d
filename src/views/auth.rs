//! Signing in, choosing a tenant, first-run setup, accepting an invitation and changing
//! the password.

use maud::{Markup, html};

use super::data::{InvitationForm, SetupForm};
use super::forms::{
    FieldOpts, FormErrors, InputKind, csrf_field, error_summary, field, field_with, flash,
};
use super::parts::{Tone, empty, role_badge, status_badge};
use super::{PageCtx, account, layout};
use crate::domain::role::Role;
use crate::domain::tenants::Tenant;

/// The messages the sign-in page may show. Unknown, wrong and disabled accounts all get
/// `auth.login_failed`, so the page does not tell which it was.
const LOGIN_ERRORS: [&str; 3] = ["auth.login_failed", "auth.rate_limited", "auth.suspended"];

/// The sign-in page. `next` is the (already checked) page to return to afterwards.
pub fn login(ctx: &PageCtx, email: &str, error_key: Option<&str>, next: &str) -> Markup {
    let title = ctx.t("auth.login_title");
    let none = FormErrors::new();
    let error = error_key.map(|key| {
        if LOGIN_ERRORS.contains(&key) {
            ctx.t(key)
        } else {
            ctx.t("auth.login_failed")
        }
    });
    layout::page(
        ctx,
        title,
        html! {
            section.card.narrow {
                h1 { (title) }
                (flash(ctx, done_in_path(&ctx.current_path)))
                @if let Some(text) = error {
                    div.error-summary role="alert" tabindex="-1" { p { (text) } }
                }
                form method="post" action="/login" {
                    (csrf_field(ctx))
                    input type="hidden" name="next" value=(next);
                    (field(ctx, &none, "email", InputKind::Email, email, true))
                    (field(ctx, &none, "password", InputKind::Password, "", true))
                    div.actions { button type="submit" { (ctx.t("auth.login_button")) } }
                }
                p.link-list { a href="/password/forgot" { (ctx.t("auth.forgot")) } }
            }
        },
    )
}

/// The `done` parameter of the current address ("/login?done=signed_out"), so the sign-in
/// page confirms a sign-out; [`flash`] shows only keys the catalog knows.
fn done_in_path(path: &str) -> Option<&str> {
    let (_, query) = path.split_once('?')?;
    query.split('&').find_map(|pair| pair.strip_prefix("done="))
}

/// For a person in several tenants: where to work now.
pub fn choose_tenant(ctx: &PageCtx, tenants: &[(Tenant, Role)]) -> Markup {
    let title = ctx.t("auth.choose_title");
    let operator = ctx.user.as_ref().is_some_and(|u| u.operator);
    layout::page(
        ctx,
        title,
        html! {
            h1 { (title) }
            @if tenants.is_empty() {
                (empty(ctx.t("auth.choose_empty")))
            } @else {
                p.lead { (ctx.t("auth.choose_lead")) }
                ul.choice-list {
                    @for (tenant, role) in tenants {
                        li {
                            @if tenant.suspended {
                                div.choice.disabled {
                                    strong { (tenant.name) }
                                    (role_badge(ctx, *role))
                                    (status_badge(ctx, "suspended", Tone::Off))
                                }
                            } @else {
                                a.choice href={ "/t/" (tenant.slug) "/" } {
                                    strong { (tenant.name) }
                                    (role_badge(ctx, *role))
                                }
                            }
                        }
                    }
                }
            }
            @if operator {
                p { a href="/admin/" { (ctx.t("auth.choose_admin")) } }
            }
        },
    )
}

/// First run: creates the instance administrator and the first tenant. Posts back to the
/// address it was opened with, which carries the one-time setup token.
pub fn setup(ctx: &PageCtx, v: &SetupForm, errors: &FormErrors) -> Markup {
    let title = ctx.t("setup.title");
    let req = FieldOpts {
        required: true,
        ..FieldOpts::default()
    };
    layout::page(
        ctx,
        title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p.lead { (ctx.t("setup.lead")) }
                (error_summary(ctx, errors))
                form method="post" action=(ctx.current_path) {
                    (csrf_field(ctx))
                    fieldset {
                        legend { (ctx.t("setup.operator_legend")) }
                        (field(ctx, errors, "name", InputKind::Text, &v.name, true))
                        (field(ctx, errors, "email", InputKind::Email, &v.email, true))
                        (field_with(ctx, errors, "password", InputKind::NewPassword, "",
                            FieldOpts { hint_key: Some("hint.password"), ..req }))
                        (field(ctx, errors, "password_confirm", InputKind::NewPassword, "", true))
                    }
                    fieldset {
                        legend { (ctx.t("setup.tenant_legend")) }
                        (field(ctx, errors, "tenant_name", InputKind::Text, &v.tenant_name, true))
                        (field_with(ctx, errors, "tenant_slug", InputKind::Text, &v.tenant_slug,
                            FieldOpts { hint_key: Some("hint.slug"), ..req }))
                    }
                    div.actions { button type="submit" { (ctx.t("setup.button")) } }
                }
            }
        },
    )
}

/// The page an invitation link opens. Posts back to the address it was opened with.
/// `existing` is true when the email already has an account (a supporter serving several
/// organisations): then only that account's password is asked, to prove it is theirs.
pub fn accept_invitation(
    ctx: &PageCtx,
    tenant_name: &str,
    email: &str,
    existing: bool,
    v: &InvitationForm,
    errors: &FormErrors,
) -> Markup {
    let title = ctx.t("invitation.title");
    layout::page(
        ctx,
        title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p.lead { (ctx.tf("invitation.lead", &[("tenant", tenant_name), ("email", email)])) }
                (error_summary(ctx, errors))
                form method="post" action=(ctx.current_path) {
                    (csrf_field(ctx))
                    @if existing {
                        p { (ctx.t("invitation.existing")) }
                        (field(ctx, errors, "password", InputKind::Password, "", true))
                    } @else {
                        (field(ctx, errors, "name", InputKind::Text, &v.name, true))
                        (field_with(ctx, errors, "password", InputKind::NewPassword, "", FieldOpts {
                            required: true,
                            hint_key: Some("hint.password"),
                            ..FieldOpts::default()
                        }))
                        (field(ctx, errors, "password_confirm", InputKind::NewPassword, "", true))
                    }
                    div.actions { button type="submit" { (ctx.t("invitation.button")) } }
                }
            }
        },
    )
}

/// An invitation link that is unknown, used or expired.
pub fn invitation_invalid(ctx: &PageCtx) -> Markup {
    let title = ctx.t("invitation.invalid_title");
    layout::page(
        ctx,
        title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p { (ctx.t("invitation.invalid_text")) }
                p { a href="/login" { (ctx.t("invitation.to_login")) } }
            }
        },
    )
}

/// Changing one's password; `forced` after signing in with an initial password.
pub fn change_password(ctx: &PageCtx, errors: &FormErrors, forced: bool) -> Markup {
    let title = ctx.t("password.title");
    layout::page(
        ctx,
        title,
        html! {
            h1 { (title) }
            @if !forced {
                (account::subnav(ctx, "/account/password"))
            }
            section.card.narrow {
                @if forced {
                    p.notice-text role="status" { (ctx.t("password.forced")) }
                }
                (error_summary(ctx, errors))
                form method="post" action="/account/password" {
                    (csrf_field(ctx))
                    (field(ctx, errors, "current_password", InputKind::Password, "", true))
                    (field_with(ctx, errors, "new_password", InputKind::NewPassword, "", FieldOpts {
                        required: true,
                        hint_key: Some("hint.password"),
                        ..FieldOpts::default()
                    }))
                    (field(ctx, errors, "password_confirm", InputKind::NewPassword, "", true))
                    p.hint { (ctx.t("password.sessions_note")) }
                    div.actions { button type="submit" { (ctx.t("password.button")) } }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::TenantId;
    use crate::domain::lang::Lang;
    use crate::views::test_support::{assert_labelled, ctx, user_ctx};

    fn tenant(name: &str, slug: &str, suspended: bool) -> Tenant {
        Tenant {
            id: TenantId(1),
            slug: slug.to_owned(),
            name: name.to_owned(),
            suspended,
            licence_limit: 0,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn login_shows_one_generic_error_and_keeps_email_and_next() {
        let html = login(
            &ctx(Lang::En),
            "a\"<b>@x.de",
            Some("auth.login_failed"),
            "/t/a/?x=1&y=2",
        )
        .into_string();
        assert!(html.contains("Sign in"));
        assert!(html.contains("The email address or password is not correct"));
        assert!(html.contains("value=\"a&quot;&lt;b&gt;@x.de\""));
        assert!(html.contains("name=\"next\" value=\"/t/a/?x=1&amp;y=2\""));
        assert!(html.contains("name=\"csrf\" value=\"test-token\""));
        assert!(!html.contains("<a href=\"/register"));
        assert_labelled(&html);
        // An unknown key never reaches the page as text.
        let html = login(&ctx(Lang::De), "", Some("<script>"), "/").into_string();
        assert!(html.contains("E-Mail-Adresse oder Passwort ist nicht korrekt"));
        assert!(!html.contains("&lt;script&gt;"));
        let html = login(&ctx(Lang::De), "", Some("auth.rate_limited"), "/").into_string();
        assert!(html.contains("Zu viele Anmeldeversuche"));
        let mut c = ctx(Lang::En);
        c.current_path = "/login?done=signed_out".into();
        let html = login(&c, "", None, "/").into_string();
        assert!(html.contains("You have been signed out."));
        assert!(!html.contains("error-summary"));
        c.current_path = "/login?done=%3Cscript%3E".into();
        assert!(
            !login(&c, "", None, "/")
                .into_string()
                .contains("class=\"flash\"")
        );
    }

    #[test]
    fn choose_tenant_links_each_tenant_and_escapes_names() {
        let list = vec![
            (
                tenant("<script>alert(1)</script>", "acme", false),
                Role::Supporter,
            ),
            (tenant("Beta", "beta", true), Role::Customer),
        ];
        let mut c = user_ctx(Lang::De, None);
        if let Some(u) = c.user.as_mut() {
            u.tenants.clear();
        }
        let html = choose_tenant(&c, &list).into_string();
        assert!(html.contains("Mandant wählen"));
        assert!(html.contains("href=\"/t/acme/\""));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>alert"));
        assert!(
            !html.contains("href=\"/t/beta/\""),
            "suspended tenants are not offered"
        );
        assert!(html.contains("Gesperrt"));
        let html = choose_tenant(&user_ctx(Lang::En, None), &[]).into_string();
        assert!(html.contains("not a member of any organisation"));
    }

    #[test]
    fn setup_keeps_values_but_never_passwords() {
        let v = SetupForm {
            name: "<b>Op</b>".into(),
            email: "op@example.org".into(),
            password: "secret-secret".into(),
            password_confirm: "secret-secret".into(),
            tenant_name: "Hotline".into(),
            tenant_slug: "BAD SLUG".into(),
        };
        let mut errors = FormErrors::new();
        errors.add("tenant_slug", "invalid_slug");
        let mut c = ctx(Lang::En);
        c.current_path = "/setup/abc123".into();
        let html = setup(&c, &v, &errors).into_string();
        assert!(html.contains("action=\"/setup/abc123\""));
        assert!(html.contains("&lt;b&gt;Op&lt;/b&gt;"));
        assert!(html.contains("value=\"BAD SLUG\""));
        assert!(!html.contains("secret-secret"));
        assert!(html.contains("href=\"#f-tenant_slug\""));
        assert!(html.contains("class=\"field-error\""));
        assert_labelled(&html);
        let html = setup(&ctx(Lang::De), &v, &errors).into_string();
        assert!(html.contains("Supportbox einrichten"));
        assert!(html.contains("Erster Mandant"));
    }

    #[test]
    fn invitation_pages_render_in_both_languages() {
        let v = InvitationForm::default();
        let mut errors = FormErrors::new();
        errors.add("password_confirm", "password_mismatch");
        let html = accept_invitation(&ctx(Lang::De), "<i>Acme</i>", "x@y.de", false, &v, &errors)
            .into_string();
        assert!(html.contains("&lt;i&gt;Acme&lt;/i&gt;"));
        assert!(html.contains("Die Passwörter stimmen nicht überein"));
        assert_labelled(&html);
        let html = accept_invitation(
            &ctx(Lang::En),
            "Acme",
            "x@y.de",
            false,
            &v,
            &FormErrors::new(),
        )
        .into_string();
        assert!(html.contains("Accept invitation"));
        let html = invitation_invalid(&ctx(Lang::En)).into_string();
        assert!(html.contains("href=\"/login\""));
        let html = invitation_invalid(&ctx(Lang::De)).into_string();
        assert!(html.contains("Einladung ungültig"));
    }

    #[test]
    fn change_password_explains_a_forced_change() {
        let c = user_ctx(Lang::En, None);
        let html = change_password(&c, &FormErrors::new(), true).into_string();
        assert!(html.contains("must choose your own password"));
        assert!(html.contains("action=\"/account/password\""));
        assert!(!html.contains("class=\"subnav\""));
        assert_labelled(&html);
        let mut errors = FormErrors::new();
        errors.add("current_password", "wrong_password");
        let html = change_password(&user_ctx(Lang::De, None), &errors, false).into_string();
        assert!(html.contains("Passwort ändern"));
        assert!(html.contains("Das aktuelle Passwort ist nicht korrekt"));
        assert!(html.contains("class=\"subnav\""));
    }
}
