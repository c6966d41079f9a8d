//! Small pieces several pages share: sub-navigation, badges with text, priority chips,
//! empty states and the helpers for tables that become cards on phones.

use maud::{Markup, html};

use super::{PageCtx, TenantNav};
use crate::domain::role::Role;

/// A sub-navigation entry: target and catalog key of its label.
pub struct SubNavItem {
    pub href: String,
    pub label_key: &'static str,
}

/// The sub-navigation of an area; `current` is the href of the page shown.
pub fn subnav(ctx: &PageCtx, label_key: &str, items: &[SubNavItem], current: &str) -> Markup {
    html! {
        nav.subnav aria-label=(ctx.t(label_key)) {
            ul {
                @for item in items {
                    li {
                        a href=(item.href) aria-current=[(item.href == current).then_some("page")] {
                            (ctx.t(item.label_key))
                        }
                    }
                }
            }
        }
    }
}

/// The tenant the page belongs to, as the http layer put it into the context.
pub fn tenant_nav(ctx: &PageCtx) -> Option<&TenantNav> {
    ctx.user.as_ref().and_then(|u| u.tenant.as_ref())
}

/// `/t/{slug}` of the page's tenant (without trailing slash); empty when the context
/// carries no tenant, which only happens when a handler forgot to fill it in.
pub fn tenant_base(ctx: &PageCtx) -> String {
    tenant_nav(ctx)
        .map(|t| format!("/t/{}", t.slug))
        .unwrap_or_default()
}

/// The localised name of a role.
pub fn role_name(ctx: &PageCtx, role: Role) -> String {
    ctx.t(&format!("role.{}", role.code())).to_owned()
}

/// A role badge: text, with a colour per role as a second cue.
pub fn role_badge(ctx: &PageCtx, role: Role) -> Markup {
    let class = match role {
        Role::Customer => "badge role-customer",
        Role::Supporter => "badge role-supporter",
        Role::TenantAdmin => "badge role-admin",
    };
    html! { span class=(class) { (role_name(ctx, role)) } }
}

/// How a status badge is coloured; the text always says the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Off,
    Warn,
    Neutral,
}

/// A status badge with the text of `status.{key}`.
pub fn status_badge(ctx: &PageCtx, key: &str, tone: Tone) -> Markup {
    let class = match tone {
        Tone::Ok => "badge ok",
        Tone::Off => "badge off",
        Tone::Warn => "badge warn",
        Tone::Neutral => "badge",
    };
    html! { span class=(class) { (ctx.t(&format!("status.{key}"))) } }
}

/// A colour that is safe to put into an SVG attribute: `#rrggbb`, else neutral grey.
pub fn safe_colour(colour: &str) -> &str {
    let ok = colour.len() == 7
        && colour.starts_with('#')
        && colour[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if ok { colour } else { "#6b7280" }
}

/// A priority chip: a colour swatch and the name (never colour alone). The swatch is an
/// SVG presentation attribute, so it needs no inline style (the CSP forbids those).
pub fn priority_chip(name: &str, colour: &str) -> Markup {
    html! {
        span.chip {
            svg.swatch width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" focusable="false" {
                rect width="12" height="12" rx="3" fill=(safe_colour(colour)) {}
            }
            (name)
        }
    }
}

/// The text of an empty list, saying what to do next.
pub fn empty(text: &str) -> Markup {
    html! { p.empty { (text) } }
}

/// A box showing a secret or link once, with a copy button that JavaScript reveals.
pub fn once_box(ctx: &PageCtx, id: &str, title_key: &str, text_key: &str, value: &str) -> Markup {
    html! {
        section.card.once role="status" aria-labelledby={ (id) "-title" } {
            h2 id={ (id) "-title" } { (ctx.t(title_key)) }
            p { (ctx.t(text_key)) }
            div.once-value {
                label.visually-hidden for=(id) { (ctx.t(title_key)) }
                input id=(id) type="text" readonly value=(value) autocomplete="off" spellcheck="false";
                button.secondary.copy type="button" hidden data-copy=(id) data-copied=(ctx.t("form.copied")) {
                    (ctx.t("form.copy"))
                }
            }
        }
    }
}
