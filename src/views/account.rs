//! One's own account: profile and personal API tokens.

use jiff::Timestamp;
use maud::{Markup, html};

use super::data::{ProfileForm, TokenForm};
use super::forms::{
    FieldOpts, FormErrors, InputKind, action_button, csrf_field, error_summary, field, field_with,
    select,
};
use super::parts::{SubNavItem, Tone, empty, once_box, status_badge};
use super::table::{Cell, Row, col, hidden_col, responsive_table};
use super::time::relative;
use super::{PageCtx, layout};
use crate::domain::accounts::Account;
use crate::domain::lang::Lang;
use crate::domain::tokens::ApiToken;

/// Profile · Password · API tokens.
pub fn subnav(ctx: &PageCtx, current: &str) -> Markup {
    let items = [
        SubNavItem {
            href: "/account/profile".to_owned(),
            label_key: "account.nav_profile",
        },
        SubNavItem {
            href: "/account/password".to_owned(),
            label_key: "account.nav_password",
        },
        SubNavItem {
            href: "/account/tokens".to_owned(),
            label_key: "account.nav_tokens",
        },
    ];
    super::parts::subnav(ctx, "account.nav_label", &items, current)
}

/// The profile page: name, phone and interface language.
pub fn profile(
    ctx: &PageCtx,
    account: &Account,
    v: &ProfileForm,
    errors: &FormErrors,
    done: Option<&str>,
) -> Markup {
    let title = ctx.t("account.profile_title");
    let mut languages = vec![(String::new(), ctx.t("account.lang_browser").to_owned())];
    languages.extend(
        Lang::ALL
            .iter()
            .map(|l| (l.code().to_owned(), l.native_name().to_owned())),
    );
    layout::area_page(
        ctx,
        title,
        done,
        subnav(ctx, "/account/profile"),
        html! {
            section.card.narrow {
                p { (ctx.tf("account.signed_in_as", &[("email", &account.email)])) }
                (error_summary(ctx, errors))
                form method="post" action="/account/profile" {
                    (csrf_field(ctx))
                    (field(ctx, errors, "name", InputKind::Text, &v.name, true))
                    (field(ctx, errors, "phone", InputKind::Tel, &v.phone, false))
                    (select(ctx, errors, "lang", &languages, &v.lang))
                    div.actions { button type="submit" { (ctx.t("form.save")) } }
                }
            }
            ul.link-list {
                li { a href="/account/password" { (ctx.t("account.change_password")) } }
                li { a href="/account/tokens" { (ctx.t("account.manage_tokens")) } }
            }
        },
    )
}

/// Whether a token still works at `now`.
fn token_status(token: &ApiToken, now: Timestamp) -> (&'static str, Tone) {
    if token.revoked {
        ("revoked", Tone::Off)
    } else if token.expires_at.is_some_and(|e| e <= now) {
        ("expired", Tone::Warn)
    } else {
        ("active", Tone::Ok)
    }
}

/// Personal API tokens: the list, revoke buttons, the create form, and a new token's
/// secret, shown exactly once.
pub fn tokens(
    ctx: &PageCtx,
    now: Timestamp,
    tokens: &[ApiToken],
    new_secret: Option<&str>,
    v: &TokenForm,
    errors: &FormErrors,
    done: Option<&str>,
) -> Markup {
    let title = ctx.t("tokens.title");
    layout::area_page(
        ctx,
        title,
        done,
        subnav(ctx, "/account/tokens"),
        html! {
            p.lead { (ctx.t("tokens.lead")) }
            @if let Some(secret) = new_secret {
                (once_box(ctx, "new-token", "tokens.secret_title", "tokens.secret_text", secret))
            }
            @if tokens.is_empty() {
                (empty(ctx.t("tokens.empty")))
            } @else {
                (responsive_table(
                    None,
                    &[
                        col(ctx.t("tokens.col_name")),
                        col(ctx.t("tokens.col_created")),
                        col(ctx.t("tokens.col_expires")),
                        col(ctx.t("tokens.col_last_used")),
                        col(ctx.t("tokens.col_status")),
                        hidden_col(ctx.t("table.actions")),
                    ],
                    tokens.iter().map(|token| {
                        let (status, tone) = token_status(token, now);
                        Row::new(vec![
                            Cell::Heading(html! { (token.name) }),
                            Cell::Data(relative(ctx, now, token.created_at)),
                            Cell::Data(html! {
                                @match token.expires_at {
                                    Some(at) => { (relative(ctx, now, at)) }
                                    None => { (ctx.t("tokens.never_expires")) }
                                }
                            }),
                            Cell::Data(html! {
                                @match token.last_used {
                                    Some(at) => { (relative(ctx, now, at)) }
                                    None => { (ctx.t("tokens.never_used")) }
                                }
                            }),
                            Cell::Data(status_badge(ctx, status, tone)),
                            Cell::Data(html! {
                                @if status == "active" {
                                    (action_button(ctx, &format!("/account/tokens/{}/revoke", token.id),
                                        ctx.t("tokens.revoke"), true))
                                }
                            }),
                        ])
                        .class_if(status != "active", "muted")
                    }),
                ))
            }
            section.card #create-token aria-labelledby="create-token-title" {
                h2 #create-token-title { (ctx.t("tokens.create_title")) }
                (error_summary(ctx, errors))
                form method="post" action="/account/tokens" {
                    (csrf_field(ctx))
                    (field(ctx, errors, "name", InputKind::Text, &v.name, true))
                    (field_with(ctx, errors, "expires", InputKind::Date, &v.expires, FieldOpts {
                        hint_key: Some("hint.expires"),
                        ..FieldOpts::default()
                    }))
                    div.actions { button type="submit" { (ctx.t("tokens.create_button")) } }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{AccountId, TokenId};
    use crate::views::test_support::{assert_labelled, user_ctx};

    fn account() -> Account {
        Account {
            id: AccountId(7),
            email: "anna@example.org".into(),
            name: "<script>Anna</script>".into(),
            phone: "+49 30 1234".into(),
            lang: Some(Lang::De),
            password_hash: "$argon2id$secret".into(),
            must_change_password: false,
            operator: false,
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn profile_keeps_values_and_offers_browser_default() {
        let a = account();
        let v = ProfileForm::from(&a);
        let html = profile(
            &user_ctx(Lang::En, None),
            &a,
            &v,
            &FormErrors::new(),
            Some("profile_saved"),
        )
        .into_string();
        assert!(html.contains("Your profile"));
        assert!(html.contains("&lt;script&gt;Anna&lt;/script&gt;"));
        assert!(!html.contains("<script>Anna"));
        assert!(!html.contains("argon2id"));
        assert!(html.contains("option value=\"\""));
        assert!(html.contains("value=\"de\" selected"));
        assert!(html.contains("href=\"/account/password\""));
        assert!(html.contains("href=\"/account/tokens\""));
        assert!(html.contains("class=\"flash\""));
        assert_labelled(&html);
        let mut errors = FormErrors::new();
        errors.add("phone", "invalid_phone");
        let html = profile(&user_ctx(Lang::De, None), &a, &v, &errors, None).into_string();
        assert!(html.contains("Ihr Profil"));
        assert!(html.contains("Wie im Browser eingestellt"));
        assert!(html.contains("Telefonnummer"));
    }

    #[test]
    fn tokens_list_status_revoke_and_secret_once() {
        let now = at("2025-03-10T12:00:00Z");
        let base = ApiToken {
            id: TokenId(3),
            account: AccountId(7),
            name: "<img src=x>".into(),
            secret_hash: [0; 32],
            created_at: at("2025-03-01T12:00:00Z"),
            expires_at: None,
            revoked: false,
            last_used: None,
        };
        let revoked = ApiToken {
            id: TokenId(4),
            revoked: true,
            ..base.clone()
        };
        let expired = ApiToken {
            id: TokenId(5),
            expires_at: Some(at("2025-03-09T12:00:00Z")),
            ..base.clone()
        };
        let list = vec![base, revoked, expired];
        let html = tokens(
            &user_ctx(Lang::En, None),
            now,
            &list,
            Some("sbt_SECRET"),
            &TokenForm::default(),
            &FormErrors::new(),
            Some("token_created"),
        )
        .into_string();
        assert!(html.contains("&lt;img src=x&gt;"));
        assert!(html.contains("action=\"/account/tokens/3/revoke\""));
        assert!(!html.contains("/account/tokens/4/revoke"));
        assert!(!html.contains("/account/tokens/5/revoke"));
        assert!(html.contains("Revoked") && html.contains("Expired") && html.contains("Active"));
        assert!(html.contains("value=\"sbt_SECRET\""));
        assert!(html.contains("will not be shown again"));
        assert!(html.contains("type=\"date\""));
        assert!(html.contains("data-confirm"));
        assert_labelled(&html);
        let html = tokens(
            &user_ctx(Lang::De, None),
            now,
            &[],
            None,
            &TokenForm::default(),
            &FormErrors::new(),
            None,
        )
        .into_string();
        assert!(html.contains("API-Token"));
        assert!(!html.contains("new-token"));
        assert!(html.contains("Noch keine Token"));
    }
}
