//! Tenant members: the list with search, invitations, direct creation, and one member's
//! page with role, access and sessions.

use jiff::Timestamp;
use maud::{Markup, html};

use super::subnav;
use crate::domain::role::Role;
use crate::domain::sessions::Session;
use crate::views::data::{
    CreateUserForm, InviteForm, MemberDetailsForm, PendingInvitation, UserRow,
};
use crate::views::forms::{
    FieldOpts, FormErrors, InputKind, action_button, csrf_field, error_summary, error_summary_in,
    field_with, flash, select_with,
};
use crate::views::parts::{
    Tone, empty, once_box, role_badge, role_name, status_badge, tenant_base,
};
use crate::views::table::{Cell, Row, col, hidden_col, responsive_table};
use crate::views::time::{exact, relative};
use crate::views::{PageCtx, layout, password_reset};

fn role_options(ctx: &PageCtx) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.code().to_owned(), role_name(ctx, *r)))
        .collect()
}

fn or_customer(role: &str) -> &str {
    if role.is_empty() {
        Role::Customer.code()
    } else {
        role
    }
}

/// Whether the errors belong to the invite form: named so, or (unnamed) when only the
/// invite form carries submitted values.
fn errors_for_invite(errors: &FormErrors, invite: &InviteForm, create: &CreateUserForm) -> bool {
    match errors.target() {
        Some(target) => target == "invite",
        None => {
            let create_empty = create.name.is_empty()
                && create.email.is_empty()
                && create.initial_password.is_empty()
                && create.role.is_empty();
            let invite_typed = !invite.email.is_empty() || !invite.role.is_empty();
            create_empty && invite_typed
        }
    }
}

/// Invitations not yet accepted, each withdrawable, so an admin sees who may still join
/// and can stop a link sent to the wrong address.
fn pending_invitations(ctx: &PageCtx, invitations: &[PendingInvitation]) -> Markup {
    let base = format!("{}/settings/invitations", tenant_base(ctx));
    let col_email = ctx.t("users.col_email");
    let col_role = ctx.t("users.col_role");
    html! {
        section.card #pending aria-labelledby="pending-title" {
            h2 #pending-title { (ctx.t("users.pending_title")) }
            (responsive_table(
                None,
                &[
                    col(col_email),
                    col(col_role),
                    col(ctx.t("users.col_invited_by")),
                    col(ctx.t("users.col_expires")),
                    hidden_col(ctx.t("users.col_action")),
                ],
                invitations.iter().map(|inv| Row::new(vec![
                    Cell::Heading(html! { (inv.email) }),
                    Cell::Data(role_badge(ctx, inv.role)),
                    Cell::Data(html! {
                        (inv.invited_by) " · "
                        time datetime=(inv.created_at.to_string()) { (exact(ctx, inv.created_at)) }
                    }),
                    Cell::Data(html! {
                        time datetime=(inv.expires_at.to_string()) { (exact(ctx, inv.expires_at)) }
                    }),
                    Cell::Data(action_button(ctx, &format!("{base}/{}/withdraw", inv.id), ctx.t("users.withdraw"), true)),
                ])),
            ))
        }
    }
}

/// The members of the tenant, a search, and the forms to invite or create someone.
/// `errors` belong to one of the two forms: name it with
/// `FormErrors::for_form("invite" | "create")`.
#[derive(Debug, Clone, Copy)]
pub struct UsersView<'a> {
    pub rows: &'a [UserRow],
    pub invitations: &'a [PendingInvitation],
    pub query: &'a str,
    pub invite: &'a InviteForm,
    pub create: &'a CreateUserForm,
    pub errors: &'a FormErrors,
    pub invite_link: Option<&'a str>,
    pub done: Option<&'a str>,
}

pub fn users(ctx: &PageCtx, view: &UsersView<'_>) -> Markup {
    let UsersView {
        rows,
        invitations,
        query,
        invite,
        create,
        errors,
        invite_link,
        done,
    } = *view;
    let title = ctx.t("users.title");
    let base = format!("{}/settings/users", tenant_base(ctx));
    let none = FormErrors::new();
    let (invite_errors, create_errors) = if errors_for_invite(errors, invite, create) {
        (errors, &none)
    } else {
        (&none, errors)
    };
    let options = role_options(ctx);
    let col_email = ctx.t("users.col_email");
    let col_role = ctx.t("users.col_role");
    let col_status = ctx.t("users.col_status");
    let col_online = ctx.t("users.col_online");
    layout::area_page(
        ctx,
        title,
        done,
        subnav(ctx, "users"),
        html! {
            @if let Some(link) = invite_link {
                (once_box(ctx, "invite-link", "users.invite_link_title", "users.invite_link_text", link))
            }
            form.filter role="search" method="get" action=(base) {
                (field_with(ctx, &none, "q", InputKind::Search, query, FieldOpts::default()))
                button.secondary type="submit" { (ctx.t("form.search")) }
            }
            @if rows.is_empty() {
                @if query.is_empty() {
                    (empty(ctx.t("users.empty")))
                } @else {
                    (empty(&ctx.tf("users.no_match", &[("q", query)])))
                }
            } @else {
                (responsive_table(
                    None,
                    &[
                        col(ctx.t("users.col_name")),
                        col(col_email),
                        col(col_role),
                        col(col_status),
                        col(col_online),
                    ],
                    rows.iter().map(|row| Row::new(vec![
                        Cell::Heading(html! {
                            a href={ (base) "/" (row.account.id) } { (row.account.name) }
                        }),
                        Cell::Data(html! { (row.account.email) }),
                        Cell::Data(role_badge(ctx, row.membership.role)),
                        Cell::Data(member_status(ctx, row)),
                        Cell::Data(html! {
                            @if row.online {
                                (status_badge(ctx, "online", Tone::Ok))
                            } @else {
                                (status_badge(ctx, "offline", Tone::Neutral))
                            }
                        }),
                    ]).class_if(row.membership.disabled, "muted")),
                ))
            }
            @if !invitations.is_empty() {
                (pending_invitations(ctx, invitations))
            }
            div.columns {
                section.card #invite aria-labelledby="invite-title" {
                    h2 #invite-title { (ctx.t("users.invite_title")) }
                    p.hint { (ctx.t("users.invite_text")) }
                    (error_summary_in(ctx, invite_errors, "invite"))
                    form method="post" action={ (base) "/invite" } {
                        (csrf_field(ctx))
                        (field_with(ctx, invite_errors, "email", InputKind::Email, &invite.email,
                            FieldOpts { form: "invite", required: true, hint_key: None }))
                        (select_with(ctx, invite_errors, "role", &options, or_customer(&invite.role),
                            FieldOpts { form: "invite", ..FieldOpts::default() }))
                        div.actions { button type="submit" { (ctx.t("users.invite_button")) } }
                    }
                }
                section.card #create aria-labelledby="create-title" {
                    h2 #create-title { (ctx.t("users.create_title")) }
                    p.hint { (ctx.t("users.create_text")) }
                    (error_summary_in(ctx, create_errors, "create"))
                    form method="post" action={ (base) "/create" } {
                        (csrf_field(ctx))
                        @let opts = FieldOpts { form: "create", required: true, hint_key: None };
                        (field_with(ctx, create_errors, "name", InputKind::Text, &create.name, opts))
                        (field_with(ctx, create_errors, "email", InputKind::Email, &create.email, opts))
                        (select_with(ctx, create_errors, "role", &options, or_customer(&create.role), opts))
                        (field_with(ctx, create_errors, "initial_password", InputKind::NewPassword, "",
                            FieldOpts { hint_key: Some("hint.initial_password"), ..opts }))
                        div.actions { button type="submit" { (ctx.t("users.create_button")) } }
                    }
                }
            }
        },
    )
}

fn member_status(ctx: &PageCtx, row: &UserRow) -> Markup {
    if row.membership.disabled {
        status_badge(ctx, "disabled", Tone::Off)
    } else if row.account.password_hash.is_empty() {
        status_badge(ctx, "invited", Tone::Warn)
    } else {
        status_badge(ctx, "enabled", Tone::Ok)
    }
}

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
    use crate::domain::accounts::{Account, Membership};
    use crate::domain::ids::{AccountId, TenantId};
    use crate::domain::lang::Lang;
    use crate::views::test_support::{assert_labelled, user_ctx};

    fn row(name: &str, disabled: bool, online: bool) -> UserRow {
        UserRow {
            account: Account {
                id: AccountId(42),
                email: "bob@example.org".into(),
                name: name.into(),
                phone: String::new(),
                lang: None,
                password_hash: "hash".into(),
                must_change_password: false,
                operator: false,
                created_at: Timestamp::UNIX_EPOCH,
            },
            membership: Membership {
                tenant: TenantId(1),
                account: AccountId(42),
                role: Role::Supporter,
                disabled,
                created_at: "2025-03-01T00:00:00Z".parse().unwrap(),
            },
            online,
        }
    }

    #[test]
    fn users_page_lists_searches_and_offers_both_forms() {
        let c = user_ctx(Lang::En, Some(Role::TenantAdmin));
        let rows = vec![
            row("<script>evil()</script>", false, true),
            row("Carla", true, false),
        ];
        let pending = vec![PendingInvitation {
            id: "ab".repeat(32),
            email: "<b>new@example.com".to_owned(),
            role: Role::Supporter,
            invited_by: "Alma".to_owned(),
            created_at: jiff::Timestamp::UNIX_EPOCH,
            expires_at: jiff::Timestamp::UNIX_EPOCH,
        }];
        let html = users(
            &c,
            &UsersView {
                rows: &rows,
                invitations: &pending,
                query: "b&o",
                invite: &InviteForm::default(),
                create: &CreateUserForm::default(),
                errors: &FormErrors::new(),
                invite_link: Some("https://h/invite/tok"),
                done: Some("user_invited"),
            },
        )
        .into_string();
        assert!(html.contains("&lt;script&gt;evil()&lt;/script&gt;"));
        assert!(!html.contains("<script>evil"));
        assert!(html.contains("href=\"/t/acme/settings/users/42\""));
        assert!(html.contains("value=\"b&amp;o\""));
        assert!(html.contains("action=\"/t/acme/settings/users/invite\""));
        assert!(
            html.contains("&lt;b&gt;new@example.com"),
            "pending invitations are listed, escaped"
        );
        assert!(html.contains(&format!(
            "action=\"/t/acme/settings/invitations/{}/withdraw\"",
            "ab".repeat(32)
        )));
        assert!(html.contains("action=\"/t/acme/settings/users/create\""));
        assert!(html.contains("value=\"https://h/invite/tok\""));
        assert!(html.contains("Disabled") && html.contains("Enabled") && html.contains("Online"));
        assert!(html.contains("data-label=\"Email\""));
        assert!(html.contains("id=\"f-invite-email\"") && html.contains("id=\"f-create-email\""));
        assert_labelled(&html);
        let html = users(
            &user_ctx(Lang::De, Some(Role::TenantAdmin)),
            &UsersView {
                rows: &[],
                invitations: &[],
                query: "zz",
                invite: &InviteForm::default(),
                create: &CreateUserForm::default(),
                errors: &FormErrors::new(),
                invite_link: None,
                done: None,
            },
        )
        .into_string();
        assert!(html.contains("Benutzer"));
        assert!(html.contains("Niemand passt zu „zz“"));
        assert!(
            html.contains("Kunde")
                && html.contains("Supporter")
                && html.contains("Mandanten-Administrator")
        );
    }

    #[test]
    fn users_page_shows_errors_at_the_right_form() {
        let c = user_ctx(Lang::En, Some(Role::TenantAdmin));
        let invite = InviteForm {
            email: "bad".into(),
            role: "supporter".into(),
        };
        let mut errors = FormErrors::new();
        errors.add("email", "invalid_email");
        let html = users(
            &c,
            &UsersView {
                rows: &[],
                invitations: &[],
                query: "",
                invite: &invite,
                create: &CreateUserForm::default(),
                errors: &errors,
                invite_link: None,
                done: None,
            },
        )
        .into_string();
        assert!(html.contains("href=\"#f-invite-email\""));
        assert!(!html.contains("href=\"#f-create-email\""));
        let html = users(
            &c,
            &UsersView {
                rows: &[],
                invitations: &[],
                query: "",
                invite: &InviteForm::default(),
                create: &CreateUserForm::default(),
                errors: &errors.clone().for_form("create"),
                invite_link: None,
                done: None,
            },
        )
        .into_string();
        assert!(html.contains("href=\"#f-create-email\""));
        assert!(!html.contains("href=\"#f-invite-email\""));
    }

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
