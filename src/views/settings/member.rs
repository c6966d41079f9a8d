//! One member's page: details, role, access, a password reset link, removal, sessions.

use maud::{Markup, html};

use super::subnav;
use super::users::{member_status, role_options};
use crate::domain::sessions::Session;
use crate::views::data::{MemberDetailsForm, UserRow};
use crate::views::forms::{
    FieldOpts, FormErrors, InputKind, action_button, csrf_field, error_summary, field_with, flash,
    select_with,
};
use crate::views::parts::{Tone, empty, role_badge, status_badge, tenant_base};
use crate::views::table::{Cell, Row, col, responsive_table};
use crate::views::time::relative;
use crate::views::{PageCtx, layout, password_reset};
use jiff::Timestamp;

/// One member: details, role change, disable/enable, and their sessions.
/// What a member's page shows.
pub struct UserDetail<'a> {
    pub now: Timestamp,
    pub row: &'a UserRow,
    pub sessions: &'a [Session],
    /// A password reset link just issued for the member, shown this once.
    pub reset_link: Option<&'a str>,
    /// Whether the admin may change name, address and phone (the account is this
    /// organisation's alone).
    pub editable: bool,
    pub details: &'a MemberDetailsForm,
    pub details_errors: &'a FormErrors,
    pub done: Option<&'a str>,
}

fn details_card(ctx: &PageCtx, base: &str, v: &UserDetail<'_>) -> Markup {
    let errors = v.details_errors;
    html! {
        section.card aria-labelledby="details-title" {
            h2 #details-title { (ctx.t("users.details_title")) }
            @if v.editable {
                (error_summary(ctx, errors))
                form method="post" action={ (base) "/edit" } {
                    (csrf_field(ctx))
                    (field_with(ctx, errors, "name", InputKind::Text, &v.details.name,
                        FieldOpts { required: true, ..FieldOpts::default() }))
                    (field_with(ctx, errors, "email", InputKind::Email, &v.details.email,
                        FieldOpts { required: true, ..FieldOpts::default() }))
                    (field_with(ctx, errors, "phone", InputKind::Tel, &v.details.phone,
                        FieldOpts::default()))
                    div.actions { button type="submit" { (ctx.t("form.save")) } }
                }
            } @else {
                p.hint { (ctx.t("users.details_elsewhere")) }
            }
        }
    }
}

fn remove_card(ctx: &PageCtx, base: &str) -> Markup {
    html! {
        section.card aria-labelledby="remove-title" {
            h2 #remove-title { (ctx.t("users.remove_title")) }
            p.hint { (ctx.t("users.remove_text")) }
            div.actions {
                (action_button(ctx, &format!("{base}/remove"), ctx.t("users.remove_button"), true))
            }
        }
    }
}

pub fn user_detail(ctx: &PageCtx, v: &UserDetail<'_>) -> Markup {
    let (now, row, sessions, done) = (v.now, v.row, v.sessions, v.done);
    let title = row.account.name.as_str();
    let base = format!("{}/settings/users/{}", tenant_base(ctx), row.account.id);
    let none = FormErrors::new();
    layout::page(
        ctx,
        title,
        html! {
            p.back { a href={ (tenant_base(ctx)) "/settings/users" } { "← " (ctx.t("users.back")) } }
            h1 { (title) }
            (flash(ctx, done))
            @if let Some(link) = v.reset_link {
                (password_reset::issued(ctx, &row.account.email, link))
            }
            (subnav(ctx, "users"))
            section.card {
                dl.facts {
                    dt { (ctx.t("users.col_email")) } dd { (row.account.email) }
                    @if !row.account.phone.is_empty() {
                        dt { (ctx.t("field.phone")) } dd { (row.account.phone) }
                    }
                    dt { (ctx.t("users.col_role")) } dd { (role_badge(ctx, row.membership.role)) }
                    dt { (ctx.t("users.col_status")) } dd { (member_status(ctx, row)) }
                    dt { (ctx.t("users.col_online")) }
                    dd {
                        @if row.online {
                            (status_badge(ctx, "online", Tone::Ok))
                        } @else {
                            (status_badge(ctx, "offline", Tone::Neutral))
                        }
                    }
                    dt { (ctx.t("users.member_since")) } dd { (relative(ctx, now, row.membership.created_at)) }
                }
            }
            section.card aria-labelledby="role-title" {
                h2 #role-title { (ctx.t("users.role_title")) }
                form method="post" action={ (base) "/role" } {
                    (csrf_field(ctx))
                    (select_with(ctx, &none, "role", &role_options(ctx), row.membership.role.code(), FieldOpts::default()))
                    div.actions { button type="submit" { (ctx.t("users.role_button")) } }
                }
            }
            section.card aria-labelledby="access-title" {
                h2 #access-title { (ctx.t("users.access_title")) }
                p.hint { (ctx.t("users.access_text")) }
                div.actions {
                    @if row.membership.disabled {
                        (action_button(ctx, &format!("{base}/enable"), ctx.t("users.enable"), false))
                    } @else {
                        (action_button(ctx, &format!("{base}/disable"), ctx.t("users.disable"), true))
                    }
                    @if !sessions.is_empty() {
                        (action_button(ctx, &format!("{base}/sessions/end"), ctx.t("users.end_sessions"), true))
                    }
                }
            }
            (details_card(ctx, &base, v))
            @if !row.membership.disabled {
                section.card aria-labelledby="reset-title" {
                    h2 #reset-title { (ctx.t("reset.issue_title")) }
                    p.hint { (ctx.t("reset.issue_text")) }
                    div.actions {
                        (action_button(ctx, &format!("{base}/reset"), ctx.t("reset.issue_button"), false))
                    }
                }
            }
            (remove_card(ctx, &base))
            section aria-labelledby="sessions-title" {
                h2 #sessions-title { (ctx.t("sessions.title")) }
                @if sessions.is_empty() {
                    (empty(ctx.t("sessions.empty")))
                } @else {
                    (responsive_table(
                        None,
                        &[col(ctx.t("sessions.col_created")), col(ctx.t("sessions.col_last_seen")), col(ctx.t("sessions.col_user_agent"))],
                        sessions.iter().map(|s| Row::new(vec![
                            Cell::Data(relative(ctx, now, s.created_at)),
                            Cell::Data(relative(ctx, now, s.last_seen)),
                            Cell::DataClass("agent", html! { (s.user_agent) }),
                        ])),
                    ))
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{AccountId, TenantId};
    use crate::domain::lang::Lang;
    use crate::domain::role::Role;
    use crate::views::settings::users::tests::row;
    use crate::views::test_support::{assert_labelled, user_ctx};

    #[test]
    fn user_detail_offers_role_access_and_sessions() {
        let now: Timestamp = "2025-03-10T12:00:00Z".parse().unwrap();
        let c = user_ctx(Lang::En, Some(Role::TenantAdmin));
        let sessions = vec![Session {
            id_hash: [1; 32],
            account: AccountId(42),
            created_at: "2025-03-10T08:00:00Z".parse().unwrap(),
            last_seen: "2025-03-10T11:00:00Z".parse().unwrap(),
            tenant: Some(TenantId(1)),
            user_agent: "<b>Firefox</b>".into(),
        }];
        let bob = row("Bob", false, true);
        let html = user_detail(
            &c,
            &UserDetail {
                now,
                row: &bob,
                sessions: &sessions,
                reset_link: Some("https://h/reset/tok"),
                editable: true,
                details: &MemberDetailsForm {
                    name: "Bob".into(),
                    email: "bob@example.org".into(),
                    phone: String::new(),
                },
                details_errors: &FormErrors::new(),
                done: Some("role_changed"),
            },
        )
        .into_string();
        assert!(html.contains("action=\"/t/acme/settings/users/42/reset\""));
        assert!(html.contains("action=\"/t/acme/settings/users/42/edit\""));
        assert!(html.contains("value=\"bob@example.org\""));
        assert!(html.contains("value=\"https://h/reset/tok\""));
        assert!(html.contains("action=\"/t/acme/settings/users/42/role\""));
        assert!(html.contains("action=\"/t/acme/settings/users/42/disable\""));
        assert!(!html.contains("/42/enable"));
        assert!(html.contains("action=\"/t/acme/settings/users/42/sessions/end\""));
        assert!(html.contains("&lt;b&gt;Firefox&lt;/b&gt;"));
        assert!(html.contains("4 hours ago"));
        assert!(html.contains("value=\"supporter\" selected"));
        assert_labelled(&html);
        let disabled = row("Bob", true, false);
        let html = user_detail(
            &user_ctx(Lang::De, Some(Role::TenantAdmin)),
            &UserDetail {
                now,
                row: &disabled,
                sessions: &[],
                reset_link: None,
                editable: false,
                details: &MemberDetailsForm::default(),
                details_errors: &FormErrors::new(),
                done: None,
            },
        )
        .into_string();
        assert!(!html.contains("/42/reset"), "no link for a disabled member");
        assert!(
            !html.contains("/42/edit"),
            "details of a shared account stay"
        );
        assert!(html.contains("/42/remove"));
        assert!(html.contains("/42/enable"));
        assert!(html.contains("Keine aktiven Sitzungen"));
        assert!(html.contains("Rolle ändern"));
    }
}
