//! The start page inside a tenant.

use maud::{Markup, html};

use super::parts::{Tone, role_badge, status_badge};
use super::{PageCtx, layout};
use crate::domain::model::Tenant;
use crate::domain::role::Role;

/// Greeting, what this person can do here, and an honest empty state: requests are not
/// part of this version yet, so the page offers only what exists.
pub fn home(ctx: &PageCtx, tenant: &Tenant, role: Role) -> Markup {
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
            section.card.empty-state aria-labelledby="requests-title" {
                h2 #requests-title { (ctx.t("tenant_home.requests_title")) }
                p { (ctx.t("tenant_home.requests_empty")) }
                p.hint {
                    @if role.is_staff() {
                        (ctx.t("tenant_home.requests_next_staff"))
                    } @else {
                        (ctx.t("tenant_home.requests_next_customer"))
                    }
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
        let html = home(&c, &tenant(), Role::Customer).into_string();
        assert!(html.contains("Hallo, "));
        assert!(html.contains("&lt;script&gt;Acme&lt;/script&gt;"));
        assert!(!html.contains("<script>Acme"));
        assert!(html.contains("Noch keine Anfragen"));
        assert!(!html.contains("/settings/"));
        assert!(html.contains("href=\"/account/profile\""));
        assert!(html.contains("Kunde"));
    }

    #[test]
    fn admin_gets_shortcuts_to_every_section() {
        let c = user_ctx(Lang::En, Some(Role::TenantAdmin));
        let html = home(&c, &tenant(), Role::TenantAdmin).into_string();
        for path in ["users", "priorities", "topics", "audit", "online"] {
            assert!(
                html.contains(&format!("href=\"/t/acme/settings/{path}\"")),
                "{path}"
            );
        }
        assert!(html.contains("Organisation administrator"));
        assert!(html.contains("No requests yet"));
        let html = home(
            &user_ctx(Lang::En, Some(Role::Supporter)),
            &tenant(),
            Role::Supporter,
        )
        .into_string();
        assert!(html.contains("href=\"/t/acme/settings/topics\""));
        assert!(!html.contains("href=\"/t/acme/settings/users\""));
    }
}
