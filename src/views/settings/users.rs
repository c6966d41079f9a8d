//! Tenant members: the list with search, invitations, direct creation, and one member's
//! page with role, access and sessions.

use maud::{Markup, html};

use super::subnav;
use crate::domain::role::Role;
use crate::views::data::{CreateUserForm, InviteForm, PendingInvitation, UserRow};
use crate::views::forms::{
    FieldOpts, FormErrors, InputKind, action_button, csrf_field, error_summary_in, field_with,
    select_with,
};
use crate::views::parts::{
    Tone, empty, once_box, role_badge, role_name, status_badge, tenant_base,
};
use crate::views::table::{Cell, Row, col, hidden_col, responsive_table};
use crate::views::time::exact;
use crate::views::{PageCtx, layout};

pub(super) fn role_options(ctx: &PageCtx) -> Vec<(String, String)> {
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

/// The list's search, filters, order and page, as the page was asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsersList<'a> {
    pub query: &'a str,
    /// A role code, or `""` for every role.
    pub role: &'a str,
    /// `"enabled"`, `"disabled"` or `""` for both.
    pub state: &'a str,
    pub sort: &'a str,
    /// The member the next page starts after.
    pub next: Option<u64>,
    /// Members matching, over all pages.
    pub total: usize,
    /// Whether this is a later page.
    pub continued: bool,
}

impl UsersList<'_> {
    /// This list's address with `after`, keeping search, filters and order.
    fn href(&self, base: &str, after: Option<u64>) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("q", self.query.to_owned()),
            ("role", self.role.to_owned()),
            ("state", self.state.to_owned()),
            ("sort", self.sort.to_owned()),
        ];
        if let Some(after) = after {
            pairs.push(("after", after.to_string()));
        }
        let query: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect();
        format!("{base}?{}", query.join("&"))
    }

    fn is_filtered(&self) -> bool {
        !self.query.is_empty() || !self.role.is_empty() || !self.state.is_empty()
    }
}

fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn list_filter(ctx: &PageCtx, base: &str, list: &UsersList<'_>) -> Markup {
    let none = FormErrors::new();
    let mut roles = vec![(String::new(), ctx.t("users.all_roles").to_owned())];
    roles.extend(role_options(ctx));
    let states = [
        (String::new(), ctx.t("users.all_states").to_owned()),
        ("enabled".to_owned(), ctx.t("status.enabled").to_owned()),
        ("disabled".to_owned(), ctx.t("status.disabled").to_owned()),
    ];
    let sorts: Vec<(String, String)> = ["name", "email", "role", "joined"]
        .iter()
        .map(|code| {
            (
                (*code).to_owned(),
                ctx.t(&format!("users.sort_{code}")).to_owned(),
            )
        })
        .collect();
    html! {
        form.filter role="search" method="get" action=(base) {
            (field_with(ctx, &none, "q", InputKind::Search, list.query, FieldOpts::default()))
            (select_with(ctx, &none, "role", &roles, list.role, FieldOpts { form: "list", ..FieldOpts::default() }))
            (select_with(ctx, &none, "state", &states, list.state, FieldOpts::default()))
            (select_with(ctx, &none, "sort", &sorts, list.sort, FieldOpts::default()))
            button.secondary type="submit" { (ctx.t("form.search")) }
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
    pub list: &'a UsersList<'a>,
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
        list,
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
            (list_filter(ctx, &base, list))
            @if rows.is_empty() {
                @if !list.is_filtered() {
                    (empty(ctx.t("users.empty")))
                } @else if !list.query.is_empty() {
                    (empty(&ctx.tf("users.no_match", &[("q", list.query)])))
                } @else {
                    (empty(ctx.t("users.no_match_filter")))
                }
            } @else {
                p.hint role="status" { (ctx.tf("users.count", &[("count", &list.total.to_string())])) }
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
            @if list.continued || list.next.is_some() {
                p.pager {
                    @if list.continued {
                        a.button.secondary href=(list.href(&base, None)) { "← " (ctx.t("users.first_page")) }
                    }
                    @if let Some(next) = list.next {
                        a.button.secondary href=(list.href(&base, Some(next))) rel="next" { (ctx.t("users.next_page")) " →" }
                    }
                }
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

pub(super) fn member_status(ctx: &PageCtx, row: &UserRow) -> Markup {
    if row.membership.disabled {
        status_badge(ctx, "disabled", Tone::Off)
    } else if row.account.password_hash.is_empty() {
        status_badge(ctx, "invited", Tone::Warn)
    } else {
        status_badge(ctx, "enabled", Tone::Ok)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::accounts::{Account, Membership};
    use crate::domain::ids::{AccountId, TenantId};
    use crate::domain::lang::Lang;
    use crate::views::test_support::{assert_labelled, user_ctx};
    use jiff::Timestamp;

    pub(in crate::views::settings) fn row(name: &str, disabled: bool, online: bool) -> UserRow {
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
                list: &UsersList {
                    query: "b&o",
                    ..UsersList::default()
                },
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
                list: &UsersList {
                    query: "zz",
                    ..UsersList::default()
                },
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
                list: &UsersList {
                    query: "",
                    ..UsersList::default()
                },
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
                list: &UsersList {
                    query: "",
                    ..UsersList::default()
                },
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
}
