//! Tenant administration (docs/ui.md, "Administration"). Every page carries the
//! sub-navigation; what it lists depends on the role: topics and who is signed in for
//! supporters, users, priorities and the audit log for tenant admins as well.

mod audit;
mod catalog;
mod member;
mod users;

pub use audit::{AuditView, audit};
pub use catalog::{priorities, topics};
pub use member::{UserDetail, user_detail};
pub use users::{UsersList, UsersView, users};

use jiff::Timestamp;
use maud::{Markup, html};

use super::data::OnlineRow;
use super::parts::{self, SubNavItem, empty, role_badge, tenant_base, tenant_nav};
use super::table::{Cell, Row, col, responsive_table};
use super::time::relative;
use super::{PageCtx, layout};
use crate::domain::role::Role;

/// The sections of the administration the page's role may open, in menu order.
pub fn sections(ctx: &PageCtx) -> Vec<SubNavItem> {
    let base = tenant_base(ctx);
    let role = tenant_nav(ctx).map(|t| t.role).unwrap_or(Role::Customer);
    let mut items = Vec::new();
    let mut add = |allowed: bool, path: &str, label_key| {
        if allowed {
            items.push(SubNavItem {
                href: format!("{base}/settings/{path}"),
                label_key,
            });
        }
    };
    add(role.can_manage_topics(), "topics", "settings.nav_topics");
    add(role.can_manage_users(), "users", "settings.nav_users");
    add(
        role.can_manage_priorities(),
        "priorities",
        "settings.nav_priorities",
    );
    add(role.can_read_audit(), "audit", "settings.nav_audit");
    add(role.can_see_presence(), "online", "settings.nav_online");
    items
}

/// The administration's sub-navigation; `section` is the last path segment of the page
/// (`"users"`, `"topics"` …).
pub fn subnav(ctx: &PageCtx, section: &str) -> Markup {
    let current = format!("{}/settings/{section}", tenant_base(ctx));
    parts::subnav(ctx, "settings.nav_label", &sections(ctx), &current)
}

/// `/t/{slug}/settings/`: an overview of the sections this person may open.
pub fn index(ctx: &PageCtx) -> Markup {
    let title = ctx.t("settings.title");
    let items = sections(ctx);
    layout::page(
        ctx,
        title,
        html! {
            h1 { (title) }
            (subnav(ctx, ""))
            ul.tiles {
                @for item in &items {
                    li {
                        a.tile href=(item.href) {
                            strong { (ctx.t(item.label_key)) }
                            span { (ctx.t(&format!("{}_text", item.label_key))) }
                        }
                    }
                }
            }
        },
    )
}

/// Who is signed in to the tenant now (seen in the last five minutes), against the
/// licence limit (0 = unlimited).
pub fn online(ctx: &PageCtx, now: Timestamp, people: &[OnlineRow], licence_limit: u32) -> Markup {
    let title = ctx.t("online.title");
    let count = people.len().to_string();
    let over = licence_limit > 0 && people.len() > licence_limit as usize;
    let usage = if licence_limit == 0 {
        ctx.tf("online.usage_unlimited", &[("n", &count)])
    } else {
        ctx.tf(
            "online.usage",
            &[("n", &count), ("m", &licence_limit.to_string())],
        )
    };
    layout::page(
        ctx,
        title,
        html! {
            h1 { (title) }
            (subnav(ctx, "online"))
            p.usage.over[over] role="status" { strong { (usage) } }
            @if over {
                p.notice-text { (ctx.t("online.over_limit")) }
            }
            p.hint { (ctx.t("online.lead")) }
            @if people.is_empty() {
                (empty(ctx.t("online.empty")))
            } @else {
                (responsive_table(
                    None,
                    &[col(ctx.t("users.col_name")), col(ctx.t("users.col_email")), col(ctx.t("users.col_role")), col(ctx.t("online.col_last_seen"))],
                    people.iter().map(|p| Row::new(vec![
                        Cell::Heading(html! { (p.name) }),
                        Cell::Data(html! { (p.email) }),
                        Cell::Data(role_badge(ctx, p.role)),
                        Cell::Data(relative(ctx, now, p.last_seen)),
                    ])),
                ))
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lang::Lang;
    use crate::views::test_support::user_ctx;

    #[test]
    fn sections_follow_the_role() {
        let admin = user_ctx(Lang::En, Some(Role::TenantAdmin));
        let hrefs: Vec<String> = sections(&admin).into_iter().map(|i| i.href).collect();
        assert_eq!(
            hrefs,
            [
                "/t/acme/settings/topics",
                "/t/acme/settings/users",
                "/t/acme/settings/priorities",
                "/t/acme/settings/audit",
                "/t/acme/settings/online"
            ]
        );
        let supporter = user_ctx(Lang::De, Some(Role::Supporter));
        let html = index(&supporter).into_string();
        assert!(html.contains("Themen"));
        assert!(html.contains("Angemeldet"));
        assert!(!html.contains("/settings/users"));
        assert!(!html.contains("/settings/priorities"));
        assert!(!html.contains("/settings/audit"));
        assert!(sections(&user_ctx(Lang::De, Some(Role::Customer))).is_empty());
    }

    #[test]
    fn online_counts_licences() {
        let now: Timestamp = "2025-03-10T12:00:00Z".parse().unwrap();
        let people = vec![OnlineRow {
            name: "<script>x</script>".into(),
            email: "x@y.de".into(),
            role: Role::Supporter,
            last_seen: "2025-03-10T11:58:00Z".parse().unwrap(),
        }];
        let html = online(
            &user_ctx(Lang::De, Some(Role::TenantAdmin)),
            now,
            &people,
            5,
        )
        .into_string();
        assert!(html.contains("1 von 5 Lizenzen belegt"));
        assert!(html.contains("vor 2 Minuten"));
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(html.contains("aria-current=\"page\""));
        let html =
            online(&user_ctx(Lang::En, Some(Role::Supporter)), now, &people, 0).into_string();
        assert!(html.contains("1 signed in — no licence limit"));
        let html = online(&user_ctx(Lang::En, Some(Role::Supporter)), now, &[], 3).into_string();
        assert!(html.contains("0 of 3 licences in use"));
        assert!(html.contains("Nobody"));
    }
}
