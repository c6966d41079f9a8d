//! The instance operator's area under `/admin/`: tenants, instance settings, audit log
//! (backups live in `views::backups`).

use maud::{Markup, html};

use super::data::{AdminForm, MemberRow, SettingsForm, TenantForm, TenantRow};
use super::forms::{
    FieldOpts, FormErrors, InputKind, action_button, csrf_field, error_summary, field_with, flash,
};
use super::parts::{self, SubNavItem, Tone, empty, once_box, status_badge};
use super::table::{Cell, Row, col, responsive_table};
use super::{PageCtx, layout, password_reset};

/// Tenants (`/admin/`) · Settings · Audit log · Backups; `current` is the href of the page shown.
pub fn subnav(ctx: &PageCtx, current: &str) -> Markup {
    let items = [
        SubNavItem {
            href: "/admin/".to_owned(),
            label_key: "admin.nav_tenants",
        },
        SubNavItem {
            href: "/admin/settings".to_owned(),
            label_key: "admin.nav_settings",
        },
        SubNavItem {
            href: "/admin/audit".to_owned(),
            label_key: "admin.nav_audit",
        },
        SubNavItem {
            href: "/admin/backups".to_owned(),
            label_key: "backup.nav",
        },
    ];
    parts::subnav(ctx, "admin.nav_label", &items, current)
}

fn tenant_status(ctx: &PageCtx, row: &TenantRow) -> Markup {
    if row.tenant.suspended {
        status_badge(ctx, "suspended", Tone::Off)
    } else {
        status_badge(ctx, "active", Tone::Ok)
    }
}

/// "3 / 10" or "3 / unlimited".
fn usage(ctx: &PageCtx, row: &TenantRow) -> String {
    let limit = if row.tenant.licence_limit == 0 {
        ctx.t("admin.unlimited").to_owned()
    } else {
        row.tenant.licence_limit.to_string()
    };
    format!("{} / {limit}", row.online)
}

fn req<'a>() -> FieldOpts<'a> {
    FieldOpts {
        required: true,
        ..FieldOpts::default()
    }
}

/// Every tenant with its state and counts, and the form to create one.
pub fn tenants(
    ctx: &PageCtx,
    rows: &[TenantRow],
    v: &TenantForm,
    errors: &FormErrors,
    done: Option<&str>,
) -> Markup {
    let title = ctx.t("admin.tenants_title");
    let limit = if v.licence_limit.is_empty() && errors.is_empty() {
        "0"
    } else {
        v.licence_limit.as_str()
    };
    let col_slug = ctx.t("admin.col_slug");
    let col_status = ctx.t("admin.col_status");
    let col_members = ctx.t("admin.col_members");
    let col_usage = ctx.t("admin.col_usage");
    layout::area_page(
        ctx,
        title,
        done,
        subnav(ctx, "/admin/"),
        html! {
            @if rows.is_empty() {
                (empty(ctx.t("admin.tenants_empty")))
            } @else {
                (responsive_table(
                    None,
                    &[
                        col(ctx.t("admin.col_name")),
                        col(col_slug),
                        col(col_status),
                        col(col_members),
                        col(col_usage),
                    ],
                    rows.iter().map(|row| Row::new(vec![
                        Cell::Heading(html! {
                            a href={ "/admin/tenants/" (row.tenant.id) } { (row.tenant.name) }
                        }),
                        Cell::Data(html! { code { (row.tenant.slug) } }),
                        Cell::Data(tenant_status(ctx, row)),
                        Cell::Data(html! { (row.members) }),
                        Cell::Data(html! { (usage(ctx, row)) }),
                    ]).class_if(row.tenant.suspended, "muted")),
                ))
            }
            section.card #create aria-labelledby="create-title" {
                h2 #create-title { (ctx.t("admin.create_title")) }
                (error_summary(ctx, errors))
                form method="post" action="/admin/tenants" {
                    (csrf_field(ctx))
                    (field_with(ctx, errors, "name", InputKind::Text, &v.name, req()))
                    (field_with(ctx, errors, "slug", InputKind::Text, &v.slug,
                        FieldOpts { hint_key: Some("hint.slug"), ..req() }))
                    (field_with(ctx, errors, "licence_limit", InputKind::Number, limit,
                        FieldOpts { hint_key: Some("hint.licence_limit"), ..req() }))
                    (field_with(ctx, errors, "admin_email", InputKind::Email, &v.admin_email,
                        FieldOpts { hint_key: Some("hint.admin_email"), ..req() }))
                    div.actions { button type="submit" { (ctx.t("admin.create_button")) } }
                }
            }
        },
    )
}

/// What the operator's page of one tenant shows.
pub struct TenantDetail<'a> {
    pub row: &'a TenantRow,
    pub form: &'a TenantForm,
    pub errors: &'a FormErrors,
    pub members: &'a [MemberRow],
    pub admin: &'a AdminForm,
    pub admin_errors: &'a FormErrors,
    /// An invitation just made for a new admin: (address, link), shown this once.
    pub invited: Option<(&'a str, &'a str)>,
    /// A password reset link just issued for a member: (address, link), shown this once.
    pub reset: Option<(&'a str, &'a str)>,
    pub done: Option<&'a str>,
}

fn member_state(ctx: &PageCtx, m: &MemberRow) -> Markup {
    if m.disabled {
        status_badge(ctx, "disabled", Tone::Off)
    } else {
        status_badge(ctx, "active", Tone::Ok)
    }
}

fn members(ctx: &PageCtx, base: &str, members: &[MemberRow]) -> Markup {
    html! {
        section.card aria-labelledby="members-title" {
            h2 #members-title { (ctx.t("admin.members_title")) }
            @if members.is_empty() {
                (empty(ctx.t("admin.members_empty")))
            } @else {
                (responsive_table(
                    None,
                    &[
                        col(ctx.t("users.col_name")),
                        col(ctx.t("users.col_email")),
                        col(ctx.t("users.col_role")),
                        col(ctx.t("users.col_status")),
                        col(ctx.t("users.col_action")),
                    ],
                    members.iter().map(|m| Row::new(vec![
                        Cell::Heading(html! { (m.name) }),
                        Cell::Data(html! { (m.email) }),
                        Cell::Data(html! { (ctx.t(&format!("role.{}", m.role.code()))) }),
                        Cell::Data(member_state(ctx, m)),
                        Cell::Data(action_button(
                            ctx,
                            &format!("{base}/members/{}/reset", m.id),
                            ctx.t("reset.issue_button"),
                            false,
                        )),
                    ]).class_if(m.disabled, "muted")),
                ))
            }
        }
    }
}

fn add_admin(ctx: &PageCtx, base: &str, v: &TenantDetail<'_>) -> Markup {
    html! {
        section.card #add-admin aria-labelledby="add-admin-title" {
            h2 #add-admin-title { (ctx.t("admin.add_admin_title")) }
            p.hint { (ctx.t("admin.add_admin_text")) }
            (error_summary(ctx, v.admin_errors))
            form method="post" action={ (base) "/admins" } {
                (csrf_field(ctx))
                (field_with(ctx, v.admin_errors, "admin_email", InputKind::Email,
                    &v.admin.admin_email, req()))
                div.actions { button type="submit" { (ctx.t("admin.add_admin_button")) } }
            }
        }
    }
}

/// One tenant: its members and admins, rename, licence limit, suspend or resume.
pub fn tenant_detail(ctx: &PageCtx, v: &TenantDetail<'_>) -> Markup {
    let t = &v.row.tenant;
    let base = format!("/admin/tenants/{}", t.id);
    layout::page(
        ctx,
        &t.name,
        html! {
            p.back { a href="/admin/" { "← " (ctx.t("admin.back")) } }
            h1 { (t.name) }
            (flash(ctx, v.done))
            @if let Some((email, link)) = v.reset {
                (password_reset::issued(ctx, email, link))
            }
            @if let Some((email, link)) = v.invited {
                p { (ctx.tf("admin.invited_for", &[("email", email)])) }
                (once_box(ctx, "invite-link", "users.invite_link_title", "users.invite_link_text", link))
            }
            (subnav(ctx, "/admin/"))
            section.card {
                dl.facts {
                    dt { (ctx.t("admin.col_slug")) } dd { code { (t.slug) } }
                    dt { (ctx.t("admin.col_status")) } dd { (tenant_status(ctx, v.row)) }
                    dt { (ctx.t("admin.col_members")) } dd { (v.row.members) }
                    dt { (ctx.t("admin.col_usage")) } dd { (usage(ctx, v.row)) }
                }
            }
            (members(ctx, &base, v.members))
            (add_admin(ctx, &base, v))
            section.card aria-labelledby="edit-title" {
                h2 #edit-title { (ctx.t("admin.edit_title")) }
                (error_summary(ctx, v.errors))
                form method="post" action=(base) {
                    (csrf_field(ctx))
                    (field_with(ctx, v.errors, "name", InputKind::Text, &v.form.name, req()))
                    (field_with(ctx, v.errors, "licence_limit", InputKind::Number, &v.form.licence_limit,
                        FieldOpts { hint_key: Some("hint.licence_limit"), ..req() }))
                    div.actions { button type="submit" { (ctx.t("form.save")) } }
                }
            }
            section.card aria-labelledby="state-title" {
                h2 #state-title { (ctx.t("admin.state_title")) }
                @if t.suspended {
                    p.hint { (ctx.t("admin.resume_text")) }
                    (action_button(ctx, &format!("{base}/resume"), ctx.t("admin.resume"), false))
                } @else {
                    p.hint { (ctx.t("admin.suspend_text")) }
                    (action_button(ctx, &format!("{base}/suspend"), ctx.t("admin.suspend"), true))
                }
            }
        },
    )
}

/// Instance-wide settings.
pub fn settings(
    ctx: &PageCtx,
    v: &SettingsForm,
    errors: &FormErrors,
    done: Option<&str>,
) -> Markup {
    let title = ctx.t("admin.settings_title");
    layout::area_page(
        ctx,
        title,
        done,
        subnav(ctx, "/admin/settings"),
        html! {
            section.card.narrow {
                (error_summary(ctx, errors))
                form method="post" action="/admin/settings" {
                    (csrf_field(ctx))
                    (field_with(ctx, errors, "instance_name", InputKind::Text, &v.instance_name, req()))
                    (field_with(ctx, errors, "session_idle_minutes", InputKind::Number, &v.session_idle_minutes,
                        FieldOpts { hint_key: Some("hint.session_idle"), ..req() }))
                    (field_with(ctx, errors, "session_absolute_hours", InputKind::Number, &v.session_absolute_hours,
                        FieldOpts { hint_key: Some("hint.session_absolute"), ..req() }))
                    div.actions { button type="submit" { (ctx.t("form.save")) } }
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
    use crate::domain::settings::InstanceSettings;
    use crate::domain::tenants::Tenant;
    use crate::views::test_support::{assert_labelled, user_ctx};

    fn row(name: &str, suspended: bool, limit: u32) -> TenantRow {
        TenantRow {
            tenant: Tenant {
                id: TenantId(4),
                slug: "acme".into(),
                name: name.into(),
                suspended,
                licence_limit: limit,
                created_at: jiff::Timestamp::UNIX_EPOCH,
            },
            members: 12,
            online: 3,
        }
    }

    #[test]
    fn tenants_list_and_create_form() {
        let c = user_ctx(Lang::En, None);
        let rows = vec![
            row("<script>Acme</script>", false, 10),
            row("Beta", true, 0),
        ];
        let html = tenants(
            &c,
            &rows,
            &TenantForm::default(),
            &FormErrors::new(),
            Some("tenant_created"),
        )
        .into_string();
        assert!(html.contains("&lt;script&gt;Acme&lt;/script&gt;"));
        assert!(!html.contains("<script>Acme"));
        assert!(html.contains("href=\"/admin/tenants/4\""));
        assert!(html.contains("3 / 10"));
        assert!(html.contains("3 / unlimited"));
        assert!(html.contains("Suspended") && html.contains("Active"));
        assert!(html.contains("action=\"/admin/tenants\""));
        assert!(html.contains("aria-current=\"page\""));
        assert_labelled(&html);
        let mut errors = FormErrors::new();
        errors.add("slug", "taken_slug");
        let v = TenantForm {
            name: "X".into(),
            slug: "acme".into(),
            licence_limit: "5".into(),
            admin_email: "".into(),
        };
        let html = tenants(&user_ctx(Lang::De, None), &[], &v, &errors, None).into_string();
        assert!(html.contains("Mandanten"));
        assert!(html.contains("bereits vergeben"));
        assert!(html.contains("value=\"acme\""));
    }

    fn detail(
        ctx: &PageCtx,
        row: &TenantRow,
        members: &[MemberRow],
        invited: Option<(&str, &str)>,
    ) -> String {
        let form = TenantForm::from(&row.tenant);
        let none = FormErrors::new();
        let admin = AdminForm::default();
        tenant_detail(
            ctx,
            &TenantDetail {
                row,
                form: &form,
                errors: &none,
                members,
                admin: &admin,
                admin_errors: &none,
                invited,
                reset: None,
                done: None,
            },
        )
        .into_string()
    }

    #[test]
    fn tenant_detail_offers_suspend_or_resume() {
        let active = row("Acme", false, 0);
        let html = detail(&user_ctx(Lang::En, None), &active, &[], None);
        assert!(html.contains("action=\"/admin/tenants/4\""));
        assert!(html.contains("action=\"/admin/tenants/4/suspend\""));
        assert!(!html.contains("/resume"));
        assert_labelled(&html);
        let suspended = row("Acme", true, 0);
        let html = detail(&user_ctx(Lang::De, None), &suspended, &[], None);
        assert!(html.contains("action=\"/admin/tenants/4/resume\""));
        assert!(html.contains("Gesperrt"));
    }

    #[test]
    fn tenant_detail_lists_members_and_adds_admins() {
        let acme = row("Acme", false, 0);
        let html = detail(&user_ctx(Lang::En, None), &acme, &[], None);
        assert!(html.contains("Nobody is a member yet"), "{html}");
        assert!(html.contains("action=\"/admin/tenants/4/admins\""));
        let members = [MemberRow {
            id: 7,
            name: "Dana <Admin>".into(),
            email: "dana@example.org".into(),
            role: crate::domain::role::Role::TenantAdmin,
            disabled: false,
        }];
        let html = detail(
            &user_ctx(Lang::De, None),
            &acme,
            &members,
            Some(("new@example.org", "https://h/invite/tok")),
        );
        assert!(html.contains("Dana &lt;Admin&gt;"));
        assert!(html.contains("dana@example.org"));
        assert!(html.contains("value=\"https://h/invite/tok\""));
        assert!(html.contains("new@example.org"));
        assert_labelled(&html);
    }

    #[test]
    fn settings_form_keeps_values() {
        let v = SettingsForm::from(&InstanceSettings::default());
        let html = settings(
            &user_ctx(Lang::En, None),
            &v,
            &FormErrors::new(),
            Some("settings_saved"),
        )
        .into_string();
        assert!(html.contains("value=\"120\""));
        assert!(html.contains("action=\"/admin/settings\""));
        assert_labelled(&html);
        let mut errors = FormErrors::new();
        errors.add("session_idle_minutes", "invalid_number");
        let html = settings(&user_ctx(Lang::De, None), &v, &errors, None).into_string();
        assert!(html.contains("Instanz-Einstellungen"));
        assert!(html.contains("ganze Zahl"));
    }
}
