//! The audit log, for a tenant (`/t/{slug}/settings/audit`) and for the instance
//! (`/admin/audit`): a kind filter, the entries newest first, and a link to older ones.

use jiff::Timestamp;
use maud::{Markup, html};

use crate::domain::audit::AuditKind;
use crate::views::data::AuditRow;
use crate::views::forms::{FieldOpts, FormErrors, select_with};
use crate::views::parts::empty;
use crate::views::table::{Cell, Row, col, responsive_table};
use crate::views::time::relative;
use crate::views::{PageCtx, admin, layout};

fn kind_name(ctx: &PageCtx, kind: AuditKind) -> String {
    ctx.t(&format!("audit.kind.{}", kind.code())).to_owned()
}

/// `base_path` is where the page lives (and its filter form and "older" link point);
/// a path under `/admin` shows the operator's sub-navigation, any other the tenant's.
#[derive(Debug, Clone, Copy)]
pub struct AuditView<'a> {
    pub now: Timestamp,
    pub base_path: &'a str,
    pub events: &'a [AuditRow],
    pub kinds: &'a [AuditKind],
    pub selected_kind: Option<AuditKind>,
    pub next_before: Option<u64>,
    pub done: Option<&'a str>,
}

pub fn audit(ctx: &PageCtx, view: &AuditView<'_>) -> Markup {
    let AuditView {
        now,
        base_path,
        events,
        kinds,
        selected_kind,
        next_before,
        done,
    } = *view;
    let title = ctx.t("audit.title");
    let instance = base_path.starts_with("/admin");
    let mut options = vec![(String::new(), ctx.t("audit.all_kinds").to_owned())];
    options.extend(
        kinds
            .iter()
            .map(|k| (k.code().to_owned(), kind_name(ctx, *k))),
    );
    let selected = selected_kind.map(AuditKind::code).unwrap_or_default();
    let older = next_before.map(|before| match selected_kind {
        Some(kind) => format!("{base_path}?before={before}&kind={}", kind.code()),
        None => format!("{base_path}?before={before}"),
    });
    let subnav = if instance {
        admin::subnav(ctx, "/admin/audit")
    } else {
        super::subnav(ctx, "audit")
    };
    layout::area_page(
        ctx,
        title,
        done,
        subnav,
        html! {
            form.filter method="get" action=(base_path) {
                (select_with(ctx, &FormErrors::new(), "kind", &options, selected, FieldOpts::default()))
                button.secondary type="submit" { (ctx.t("form.filter")) }
            }
            @if events.is_empty() {
                @if selected_kind.is_some() {
                    (empty(ctx.t("audit.empty_filtered")))
                } @else {
                    (empty(ctx.t("audit.empty")))
                }
            } @else {
                (responsive_table(
                    Some("audit"),
                    &[
                        col(ctx.t("audit.col_time")),
                        col(ctx.t("audit.col_kind")),
                        col(ctx.t("audit.col_actor")),
                        col(ctx.t("audit.col_subject")),
                        col(ctx.t("audit.col_detail")),
                        col(ctx.t("audit.col_client")),
                    ],
                    events.iter().map(|row| {
                        let e = &row.event;
                        Row::new(vec![
                            Cell::Data(relative(ctx, now, e.at)),
                            Cell::Data(html! { (kind_name(ctx, e.kind)) }),
                            Cell::Data(html! {
                                @match (&row.actor_name, e.actor) {
                                    (Some(name), _) => { (name) }
                                    (None, Some(id)) => { (ctx.tf("audit.actor_id", &[("id", &id.to_string())])) }
                                    (None, None) => { span.hint { (ctx.t("audit.anonymous")) } }
                                }
                            }),
                            Cell::Data(html! { (e.subject) }),
                            Cell::Data(html! { (e.detail) }),
                            Cell::Data(html! { code { (e.client_addr) } }),
                        ])
                        .class_if(e.kind == AuditKind::SignInFailed, "warn-row")
                    }),
                ))
            }
            @if let Some(href) = older {
                p.pager { a.button.secondary href=(href) rel="next" { (ctx.t("audit.older")) " →" } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::audit::AuditEvent;
    use crate::domain::ids::{AccountId, TenantId};
    use crate::domain::lang::Lang;
    use crate::domain::role::Role;
    use crate::views::test_support::{assert_labelled, ctx, user_ctx};

    fn row(kind: AuditKind, actor: Option<u64>, name: Option<&str>) -> AuditRow {
        AuditRow {
            event: AuditEvent {
                tenant: TenantId(1),
                seq: 9,
                at: "2025-03-10T09:00:00Z".parse().unwrap(),
                kind,
                actor: actor.map(AccountId),
                subject: "<script>s</script>".into(),
                detail: "role: customer → supporter".into(),
                client_addr: "192.0.2.7".into(),
            },
            actor_name: name.map(str::to_owned),
        }
    }

    #[test]
    fn every_kind_has_a_name_in_both_languages() {
        for lang in Lang::ALL {
            let c = ctx(lang);
            for kind in AuditKind::ALL {
                let key = format!("audit.kind.{}", kind.code());
                assert_ne!(c.t(&key), key, "{lang}: {key}");
            }
        }
    }

    #[test]
    fn tenant_audit_lists_filters_and_pages() {
        let now: Timestamp = "2025-03-10T12:00:00Z".parse().unwrap();
        let c = user_ctx(Lang::En, Some(Role::TenantAdmin));
        let events = vec![
            row(AuditKind::RoleChanged, Some(3), Some("<i>Ann</i>")),
            row(AuditKind::SignInFailed, None, None),
            row(AuditKind::SignedIn, Some(5), None),
        ];
        let html = audit(
            &c,
            &AuditView {
                now,
                base_path: "/t/acme/settings/audit",
                events: &events,
                kinds: &AuditKind::ALL,
                selected_kind: Some(AuditKind::RoleChanged),
                next_before: Some(9),
                done: None,
            },
        )
        .into_string();
        assert!(html.contains("Role changed"));
        assert!(html.contains("&lt;i&gt;Ann&lt;/i&gt;"));
        assert!(html.contains("&lt;script&gt;s&lt;/script&gt;"));
        assert!(html.contains("Anonymous"));
        assert!(html.contains("Account #5"));
        assert!(html.contains("3 hours ago"));
        assert!(html.contains("192.0.2.7"));
        assert!(html.contains("href=\"/t/acme/settings/audit?before=9&amp;kind=role_changed\""));
        assert!(html.contains("value=\"role_changed\" selected"));
        assert!(html.contains("action=\"/t/acme/settings/audit\""));
        assert!(html.contains("class=\"subnav\""));
        assert!(html.contains("/t/acme/settings/users"));
        assert_labelled(&html);
    }

    #[test]
    fn instance_audit_uses_the_operator_navigation() {
        let now: Timestamp = "2025-03-10T12:00:00Z".parse().unwrap();
        let mut c = user_ctx(Lang::De, None);
        if let Some(u) = c.user.as_mut() {
            u.operator = true;
        }
        let html = audit(
            &c,
            &AuditView {
                now,
                base_path: "/admin/audit",
                events: &[],
                kinds: &[AuditKind::TenantCreated],
                selected_kind: None,
                next_before: None,
                done: None,
            },
        )
        .into_string();
        assert!(html.contains("Protokoll"));
        assert!(html.contains("href=\"/admin/\""));
        assert!(html.contains("Noch keine Einträge"));
        assert!(!html.contains("before="));
        assert!(html.contains("Mandant angelegt"));
    }
}
