//! The frame around every page: header with navigation, language switcher, main landmark
//! and footer with the version.

use maud::{DOCTYPE, Markup, html};

use super::PageCtx;
use super::forms::flash;
use crate::domain::lang::Lang;

/// A navigation entry; only areas that exist are listed.
pub struct NavItem {
    pub href: String,
    pub label_key: &'static str,
    /// Further path prefixes that belong to this area (a queue tab is under Requests even
    /// though the menu links to the first tab).
    pub also: Vec<String>,
}

/// The main menu for the person viewing the page, only the areas their role may open
/// (docs/ui.md, "Navigation by role").
pub fn nav_items(ctx: &PageCtx) -> Vec<NavItem> {
    let item = |href: String, label_key| NavItem {
        href,
        label_key,
        also: Vec::new(),
    };
    let Some(user) = &ctx.user else {
        return vec![item("/".to_owned(), "nav.home")];
    };
    let mut items = Vec::new();
    match &user.tenant {
        Some(tenant) => {
            let base = format!("/t/{}", tenant.slug);
            items.push(item(format!("{base}/"), "nav.home"));
            let mut mine = item(format!("{base}/my"), "nav.my_requests");
            if tenant.role.is_staff() {
                items.push(mine);
                let mut requests = item(format!("{base}/queue/new"), "nav.requests");
                requests.also = vec![format!("{base}/queue/"), format!("{base}/tickets")];
                items.push(requests);
            } else {
                // A customer's ticket pages are part of "My requests".
                mine.also = vec![format!("{base}/tickets")];
                items.push(mine);
            }
            items.push(item(format!("{base}/search"), "nav.search"));
            if tenant.role.is_staff() {
                items.push(item(format!("{base}/settings/"), "nav.administration"));
            }
        }
        None => items.push(item("/".to_owned(), "nav.home")),
    }
    if user.operator {
        items.push(item("/admin/".to_owned(), "nav.instance"));
    }
    items
}

/// A page of an administration area (the tenant's settings, the operator's pages, the
/// account): its title as the heading, then the confirmation of the last action and the
/// area's sub-navigation above `body`.
pub fn area_page(
    ctx: &PageCtx,
    title: &str,
    done: Option<&str>,
    subnav: Markup,
    body: Markup,
) -> Markup {
    page(
        ctx,
        title,
        html! {
            h1 { (title) }
            (flash(ctx, done))
            (subnav)
            (body)
        },
    )
}

/// The version is for the people who run and support the instance: telling it to anonymous
/// visitors (and on error pages) only helps someone looking for a known weakness.
fn shows_version(ctx: &PageCtx) -> bool {
    ctx.user
        .as_ref()
        .is_some_and(|u| u.operator || u.tenant.as_ref().is_some_and(|t| t.role.is_staff()))
}

pub fn page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    frame(ctx, title, body, shows_version(ctx))
}

/// [`page`] without the version in the footer, whoever is signed in: error pages.
pub fn page_without_version(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    frame(ctx, title, body, false)
}

fn frame(ctx: &PageCtx, title: &str, body: Markup, version: bool) -> Markup {
    let app_name = ctx.t("app.name");
    let items = nav_items(ctx);
    let current = current_item(&ctx.current_path, &items);
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light";
                title { (title) " · " (app_name) }
                link rel="stylesheet" href=(ctx.asset("css/app.css"));
                // htmx must not inject a <style> (the CSP forbids inline styles) nor eval.
                meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false}"#;
                script src=(ctx.asset("vendor/htmx.min.js")) defer {}
                script src=(ctx.asset("js/app.js")) defer {}
            }
            body {
                a.skip-link href="#content" { (ctx.t("app.skip")) }
                header.site-header {
                    div.bar {
                        a.brand href="/" { (app_name) small { (ctx.t("app.tagline")) } }
                        button.nav-toggle type="button" hidden aria-controls="main-nav" { (ctx.t("nav.menu")) }
                        nav id="main-nav" class="main-nav" aria-label=(ctx.t("nav.main")) {
                            ul {
                                @for (index, item) in items.iter().enumerate() {
                                    li {
                                        a href=(item.href)
                                          aria-current=[(current == Some(index)).then_some("page")] {
                                            (ctx.t(item.label_key))
                                        }
                                    }
                                }
                            }
                        }
                        div.header-tools {
                            (user_tools(ctx))
                            (language_form(ctx))
                        }
                    }
                }
                @if let Some(alert) = ctx.storage_alert {
                    div.bar {
                        p.error-summary.storage-alert role="alert" { (ctx.t(alert)) }
                    }
                }
                main #content tabindex="-1" { (body) }
                footer.site-footer {
                    div.bar {
                        @if version {
                            span { (ctx.tf("footer.version", &[("version", ctx.version)])) }
                        }
                        @if ctx.ca_available {
                            a href="/ca.pem" { (ctx.t("footer.ca")) }
                        }
                    }
                }
            }
        }
    }
}

/// The person's name (to the profile), the tenant switcher and sign-out; for anonymous
/// visitors a sign-in link.
fn user_tools(ctx: &PageCtx) -> Markup {
    let on_login = ctx.current_path.starts_with("/login");
    html! {
        @if let Some(user) = &ctx.user {
            @if user.tenants.len() > 1 {
                details.tenant-switch {
                    summary {
                        span.visually-hidden { (ctx.t("nav.switch_tenant")) ": " }
                        @match &user.tenant {
                            Some(t) => { (t.name) }
                            None => { (ctx.t("nav.switch_tenant")) }
                        }
                    }
                    ul {
                        @for (slug, name) in &user.tenants {
                            @let current = user.tenant.as_ref().is_some_and(|t| &t.slug == slug);
                            li { a href={ "/t/" (slug) "/" } aria-current=[current.then_some("true")] { (name) } }
                        }
                    }
                }
            } @else if let Some(t) = &user.tenant {
                span.tenant-name { (t.name) }
            }
            a.user-link href="/account/profile" title=(ctx.t("nav.profile")) { (user.name) }
            form.logout-form method="post" action="/logout" {
                input type="hidden" name="csrf" value=(ctx.csrf_token);
                button.secondary type="submit" { (ctx.t("nav.sign_out")) }
            }
        } @else if !on_login {
            a.button.secondary.sign-in href="/login" { (ctx.t("nav.sign_in")) }
        }
    }
}

/// The entry the current page belongs to: the longest matching href wins, so
/// `/t/x/settings/users` marks "Administration" rather than "Home".
fn current_item(current_path: &str, items: &[NavItem]) -> Option<usize> {
    items
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            std::iter::once(&item.href)
                .chain(item.also.iter())
                .filter(|prefix| path_matches(current_path, prefix))
                .map(|prefix| prefix.len())
                .max()
                .map(|len| (index, len))
        })
        .max_by_key(|(_, len)| *len)
        .map(|(index, _)| index)
}

fn language_form(ctx: &PageCtx) -> Markup {
    html! {
        form.lang-form method="post" action="/lang" {
            input type="hidden" name="csrf" value=(ctx.csrf_token);
            input type="hidden" name="next" value=(ctx.current_path);
            label for="lang-select" { (ctx.t("lang.label")) }
            select #lang-select name="lang" {
                @for lang in Lang::ALL {
                    option value=(lang.code()) selected[lang == ctx.lang] lang=(lang.code()) { (lang.native_name()) }
                }
            }
            button.secondary type="submit" { (ctx.t("lang.switch")) }
        }
    }
}

fn path_matches(current: &str, href: &str) -> bool {
    let path = current.split('?').next().unwrap_or(current);
    if href == "/" {
        path == "/"
    } else {
        path.starts_with(href)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::test_support::ctx;

    #[test]
    fn layout_has_landmarks_and_escapes_title() {
        let html = page(&ctx(Lang::En), "<script>x</script>", html! { p { "body" } }).into_string();
        assert!(html.contains("<main id=\"content\""));
        assert!(html.contains("<nav id=\"main-nav\""));
        assert!(html.contains("<footer"));
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!html.contains("<script>x"));
        assert!(
            !html.contains("0.0.0-test"),
            "anonymous visitors are not told the version"
        );
        assert!(html.contains("aria-current=\"page\""));
    }

    #[test]
    fn staff_see_the_version_but_customers_and_error_pages_do_not() {
        use crate::domain::role::Role;
        use crate::views::test_support::user_ctx;
        let version = "Supportbox 0.0.0-test";
        let staff = user_ctx(Lang::En, Some(Role::Supporter));
        assert!(page(&staff, "T", html! {}).into_string().contains(version));
        assert!(
            !page_without_version(&staff, "T", html! {})
                .into_string()
                .contains(version)
        );
        let customer = user_ctx(Lang::En, Some(Role::Customer));
        assert!(
            !page(&customer, "T", html! {})
                .into_string()
                .contains(version)
        );
    }

    #[test]
    fn layout_speaks_the_chosen_language() {
        let html = page(&ctx(Lang::De), "T", html! {}).into_string();
        assert!(html.contains("<html lang=\"de\">"));
        assert!(html.contains(">Start<"));
        assert!(html.contains("value=\"de\" selected"));
    }

    #[test]
    fn anonymous_visitors_get_a_sign_in_link() {
        let html = page(&ctx(Lang::En), "T", html! {}).into_string();
        assert!(html.contains("href=\"/login\""));
        assert!(!html.contains("action=\"/logout\""));
        assert!(!html.contains("/admin/"));
    }

    #[test]
    fn signed_in_staff_see_their_menu_switcher_and_sign_out() {
        use crate::domain::role::Role;
        use crate::views::test_support::user_ctx;
        let mut c = user_ctx(Lang::De, Some(Role::Supporter));
        c.current_path = "/t/acme/settings/topics".into();
        let html = page(&c, "T", html! {}).into_string();
        assert!(html.contains("href=\"/t/acme/\""));
        assert!(
            html.contains("<a href=\"/t/acme/settings/\" aria-current=\"page\">Verwaltung</a>")
        );
        assert!(html.contains("<a href=\"/t/acme/\">Start</a>"));
        assert!(html.contains("Dana &lt;Admin&gt;"));
        assert!(html.contains("href=\"/account/profile\""));
        assert!(html.contains("action=\"/logout\""));
        assert!(html.contains("Abmelden"));
        assert!(
            html.contains("href=\"/t/beta/\""),
            "switcher lists the other tenant"
        );
        assert!(!html.contains("href=\"/login\""));
        assert!(!html.contains("/admin/"));
        assert!(
            html.contains("value=\"de\" selected"),
            "language switcher stays"
        );
    }

    #[test]
    fn customers_see_no_administration_and_operators_see_the_instance() {
        use crate::domain::role::Role;
        use crate::views::test_support::user_ctx;
        let mut c = user_ctx(Lang::En, Some(Role::Customer));
        if let Some(u) = c.user.as_mut() {
            u.tenants.truncate(1);
        }
        let html = page(&c, "T", html! {}).into_string();
        assert!(!html.contains("/settings/"));
        assert!(
            !html.contains("tenant-switch"),
            "one tenant needs no switcher"
        );
        assert!(html.contains("Acme"));
        let mut c = user_ctx(Lang::En, None);
        if let Some(u) = c.user.as_mut() {
            u.operator = true;
        }
        c.current_path = "/admin/tenants".into();
        let html = page(&c, "T", html! {}).into_string();
        assert!(html.contains("<a href=\"/admin/\" aria-current=\"page\">Instance</a>"));
    }
}
