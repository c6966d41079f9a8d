//! The frame around every page: header with navigation, language switcher, main landmark
//! and footer with the version.

use maud::{DOCTYPE, Markup, html};

use super::PageCtx;
use crate::domain::lang::Lang;

/// A navigation entry; only areas that exist are listed.
pub struct NavItem<'a> {
    pub href: &'a str,
    pub label_key: &'a str,
}

const NAV: &[NavItem<'static>] = &[NavItem {
    href: "/",
    label_key: "nav.home",
}];

pub fn page(ctx: &PageCtx, title: &str, body: Markup) -> Markup {
    let app_name = ctx.t("app.name");
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light";
                title { (title) " · " (app_name) }
                link rel="stylesheet" href=(ctx.asset("css/app.css"));
                script src=(ctx.asset("js/app.js")) defer {}
            }
            body {
                a.skip-link href="#content" { (ctx.t("app.skip")) }
                header.site-header {
                    div.bar {
                        a.brand href="/" { (app_name) small { (ctx.t("app.tagline")) } }
                        button.nav-toggle type="button" hidden aria-controls="main-nav" { (ctx.t("nav.menu")) }
                        nav #main-nav .main-nav aria-label=(ctx.t("nav.main")) {
                            ul {
                                @for item in NAV {
                                    li {
                                        a href=(item.href)
                                          aria-current=[(path_matches(&ctx.current_path, item.href)).then_some("page")] {
                                            (ctx.t(item.label_key))
                                        }
                                    }
                                }
                            }
                        }
                        div.header-tools { (language_form(ctx)) }
                    }
                }
                main #content tabindex="-1" { (body) }
                footer.site-footer {
                    div.bar {
                        span { (ctx.tf("footer.version", &[("version", ctx.version)])) }
                        @if ctx.ca_available {
                            a href="/ca.pem" { (ctx.t("footer.ca")) }
                        }
                    }
                }
            }
        }
    }
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
        assert!(html.contains("Supportbox 0.0.0-test"));
        assert!(html.contains("aria-current=\"page\""));
    }

    #[test]
    fn layout_speaks_the_chosen_language() {
        let html = page(&ctx(Lang::De), "T", html! {}).into_string();
        assert!(html.contains("<html lang=\"de\">"));
        assert!(html.contains(">Start<"));
        assert!(html.contains("value=\"de\" selected"));
    }
}
