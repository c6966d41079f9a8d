//! The start page inside a tenant.

use maud::{Markup, html};

use super::parts::{Tone, role_badge, status_badge};
use super::{PageCtx, layout};
use crate::domain::read::TabCounts;
use crate::domain::role::Role;
use crate::domain::tenants::Tenant;

/// Greeting, what this person can do here, and an honest empty state: requests are not
/// part of this version yet, so the page offers only what exists.
/// `counts` are the supporter tab counts (staff only); `open_own` is how many of the
/// person's own requests are not yet resolved.
pub fn home(
    ctx: &PageCtx,
    tenant: &Tenant,
    role: Role,
    counts: Option<&TabCounts>,
    open_own: u64,
) -> Markup {
    let name = ctx
        .user
        .as_ref()
        .map(|u| u.name.as_str())
        .unwrap_or_default();
    let greeting = if name.is_empty() {
        ctx.t("tenant_home.greeting_anon").to_owned()
    } else {
        ctx.tf("tenant_home.greeting", &[("name", name)])
    };
    let base = format!("/t/{}", tenant.slug);
    let what_key = match role {
        Role::Customer => "tenant_home.can_customer",
        Role::Supporter => "tenant_home.can_supporter",
        Role::TenantAdmin => "tenant_home.can_admin",
    };
    let mut shortcuts: Vec<(String, &str)> = Vec::new();
    if role.can_manage_topics() {
        shortcuts.push((format!("{base}/settings/topics"), "settings.nav_topics"));
    }
    if role.can_manage_users() {
        shortcuts.push((format!("{base}/settings/users"), "settings.nav_users"));
    }
    if role.can_manage_priorities() {
        shortcuts.push((
            format!("{base}/settings/priorities"),
            "settings.nav_priorities",
        ));
    }
    if role.can_see_presence() {
        shortcuts.push((format!("{base}/settings/online"), "settings.nav_online"));
    }
    if role.can_read_audit() {
        shortcuts.push((format!("{base}/settings/audit"), "settings.nav_audit"));
    }
    shortcuts.push(("/account/profile".to_owned(), "account.nav_profile"));
    layout::page(
        ctx,
        &tenant.name,
        html! {
            p.kicker { (tenant.name) }
            h1 { (greeting) }
            p.lead {
                (ctx.t("tenant_home.role_prefix")) " " (role_badge(ctx, role))
            }
            @if tenant.suspended {
                p.notice-text role="status" { (status_badge(ctx, "suspended", Tone::Off)) " " (ctx.t("tenant_home.suspended")) }
            }
            section.card aria-labelledby="can-title" {
                h2 #can-title { (ctx.t("tenant_home.can_title")) }
                p { (ctx.t(what_key)) }
            }
            section.card aria-labelledby="requests-title" {
                h2 #requests-title { (ctx.t("tenant_home.requests_title")) }
                p { a.button href={ (base) "/tickets/new" } { (ctx.t("tenant_home.report")) } }
                p {
                    a href={ (base) "/my" } { (ctx.t("tenant_home.my_requests")) }
                    " · " (ctx.tf("tenant_home.open_own", &[("count", &open_own.to_string())]))
                }
                @if let Some(c) = counts {
                    ul.tiles {
                        li { a.tile href={ (base) "/queue/new" } { strong { (ctx.t("tab.new")) } span.count data-count="new" { (c.new) } } }
                        li { a.tile href={ (base) "/queue/customer-waiting" } { strong { (ctx.t("tab.customer-waiting")) } span.count data-count="customer_waiting" { (c.customer_waiting) } } }
                        li { a.tile href={ (base) "/queue/support-waiting" } { strong { (ctx.t("tab.support-waiting")) } span.count data-count="support_waiting" { (c.support_waiting) } } }
                    }
                    p { a href={ (base) "/tickets/new-for-customer" } { (ctx.t("tenant_home.for_customer")) } }
                }
            }
            section aria-labelledby="shortcuts-title" {
                h2 #shortcuts-title { (ctx.t("tenant_home.shortcuts_title")) }
                ul.tiles {
                    @for (href, key) in &shortcuts {
                        li { a.tile href=(href) { strong { (ctx.t(key)) } span { (ctx.t(&format!("{key}_text"))) } } }
                    }
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
    use crate::views::test_support::user_ctx;

    fn tenant() -> Tenant {
        Tenant {
            id: TenantId(1),
            slug: "acme".into(),
            name: "<script>Acme</script>".into(),
            suspended: false,
            licence_limit: 0,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn customer_sees_no_administration() {
        let c = user_ctx(Lang::De, Some(Role::Customer));
        let html = home(&c, &tenant(), Role::Customer, None, 2).into_string();
        assert!(html.contains("Hallo, "));
        assert!(html.contains("&lt;script&gt;Acme&lt;/script&gt;"));
        assert!(!html.contains("<script>Acme"));
        assert!(html.contains("Problem melden"));
        assert!(html.contains("href=\"/t/acme/my\""));
        assert!(!html.contains("/queue/"));
        assert!(!html.contains("/settings/"));
        assert!(html.contains("href=\"/account/profile\""));
        assert!(html.contains("Kunde"));
    }

    #[test]
    fn admin_gets_shortcuts_to_every_section() {
        let c = user_ctx(Lang::En, Some(Role::TenantAdmin));
        let counts = TabCounts {
            new: 3,
            ..TabCounts::default()
        };
        let html = home(&c, &tenant(), Role::TenantAdmin, Some(&counts), 0).into_string();
        for path in ["users", "priorities", "topics", "audit", "online"] {
            assert!(
                html.contains(&format!("href=\"/t/acme/settings/{path}\"")),
                "{path}"
            );
        }
        assert!(html.contains("Organisation administrator"));
        assert!(html.contains("href=\"/t/acme/queue/new\""));
        assert!(html.contains("data-count=\"new\">3<"));
        let html = home(
            &user_ctx(Lang::En, Some(Role::Supporter)),
            &tenant(),
            Role::Supporter,
            Some(&counts),
            0,
        )
        .into_string();
        assert!(html.contains("href=\"/t/acme/settings/topics\""));
        assert!(!html.contains("href=\"/t/acme/settings/users\""));
    }
}
