//! Form building blocks shared by every page (UX.md "Forms"): labels above fields, the
//! error next to its field and summarised at the top, entered values kept after an error,
//! one primary button, and the CSRF token in every state-changing form.

use std::collections::BTreeMap;

use maud::{Markup, html};

use super::PageCtx;
use crate::domain::validate::FieldError;

/// Errors of a submitted form, by field name, as i18n keys under `validation.`.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    by_field: BTreeMap<&'static str, &'static str>,
}

impl FormErrors {
    pub fn new() -> FormErrors {
        FormErrors::default()
    }

    pub fn add(&mut self, field: &'static str, message_key: &'static str) {
        self.by_field.entry(field).or_insert(message_key);
    }

    pub fn push(&mut self, error: FieldError) {
        self.add(error.field, error.message_key);
    }

    pub fn from_error(error: FieldError) -> FormErrors {
        let mut errors = FormErrors::new();
        errors.push(error);
        errors
    }

    /// Records the error of a validation result and returns its value, if any.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.by_field.get(field).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.by_field.iter().map(|(f, m)| (*f, *m))
    }
}

/// The localised message for a validation key.
pub fn message(ctx: &PageCtx, key: &str) -> String {
    ctx.t(&format!("validation.{key}")).to_owned()
}

/// The summary at the top of a form, linking to each field.
pub fn error_summary(ctx: &PageCtx, errors: &FormErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" tabindex="-1" {
                p { strong { (ctx.t("form.errors_title")) } }
                ul {
                    @for (field, key) in errors.iter() {
                        li { a href={ "#f-" (field) } { (ctx.t(&format!("field.{field}"))) ": " (message(ctx, key)) } }
                    }
                }
            }
        }
    }
}

/// The hidden CSRF field every POST form carries.
pub fn csrf_field(ctx: &PageCtx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf_token); }
}

/// What kind of input a field is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Text,
    Email,
    Password,
    NewPassword,
    Tel,
    Number,
    Search,
    Color,
    Date,
}

impl InputKind {
    fn html_type(self) -> &'static str {
        match self {
            InputKind::Text => "text",
            InputKind::Email => "email",
            InputKind::Password | InputKind::NewPassword => "password",
            InputKind::Tel => "tel",
            InputKind::Number => "number",
            InputKind::Search => "search",
            InputKind::Color => "color",
            InputKind::Date => "date",
        }
    }

    fn autocomplete(self, name: &str) -> &'static str {
        match (self, name) {
            (InputKind::Email, _) => "email",
            (InputKind::Password, _) => "current-password",
            (InputKind::NewPassword, _) => "new-password",
            (InputKind::Tel, _) => "tel",
            (_, "name") => "name",
            _ => "off",
        }
    }
}

/// A labelled input with its error. The label text is `field.{name}` from the catalog.
pub fn field(
    ctx: &PageCtx,
    errors: &FormErrors,
    name: &str,
    kind: InputKind,
    value: &str,
    required: bool,
) -> Markup {
    let id = format!("f-{name}");
    let error = errors.get(name);
    let error_id = format!("{id}-error");
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (ctx.t(&format!("field.{name}"))) @if required { span.req aria-hidden="true" { " *" } } }
            @if let Some(key) = error {
                p.field-error id=(error_id) { (message(ctx, key)) }
            }
            input id=(id) name=(name) type=(kind.html_type())
                value=[(kind != InputKind::Password && kind != InputKind::NewPassword).then_some(value)]
                autocomplete=(kind.autocomplete(name))
                required[required]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| error_id.as_str())];
        }
    }
}

/// A labelled multi-line text field.
pub fn textarea(ctx: &PageCtx, errors: &FormErrors, name: &str, value: &str, rows: u32) -> Markup {
    let id = format!("f-{name}");
    let error = errors.get(name);
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (ctx.t(&format!("field.{name}"))) }
            @if let Some(key) = error {
                p.field-error id={ (id) "-error" } { (message(ctx, key)) }
            }
            textarea id=(id) name=(name) rows=(rows) aria-invalid=[error.map(|_| "true")] { (value) }
        }
    }
}

/// A labelled select; `options` are (value, label) pairs.
pub fn select(
    ctx: &PageCtx,
    errors: &FormErrors,
    name: &str,
    options: &[(String, String)],
    selected: &str,
) -> Markup {
    let id = format!("f-{name}");
    let error = errors.get(name);
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (ctx.t(&format!("field.{name}"))) }
            @if let Some(key) = error {
                p.field-error { (message(ctx, key)) }
            }
            select id=(id) name=(name) {
                @for (value, label) in options {
                    option value=(value) selected[value == selected] { (label) }
                }
            }
        }
    }
}

/// A labelled checkbox.
pub fn checkbox(ctx: &PageCtx, name: &str, checked: bool) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field.checkbox {
            input id=(id) type="checkbox" name=(name) value="on" checked[checked];
            label for=(id) { (ctx.t(&format!("field.{name}"))) }
        }
    }
}

/// A one-line confirmation after a successful action (post/redirect/get), chosen by the
/// `done` query parameter so a reload shows it again without repeating the action.
pub fn flash(ctx: &PageCtx, done: Option<&str>) -> Markup {
    html! {
        @if let Some(key) = done {
            p.flash role="status" { (ctx.t(&format!("done.{key}"))) }
        }
    }
}

/// A small POST form with a single button (enable, revoke, delete …). Destructive
/// buttons carry `data-confirm` so the page asks once when JavaScript is on.
pub fn action_button(ctx: &PageCtx, action: &str, label: &str, destructive: bool) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf_field(ctx))
            button.secondary.danger[destructive] type="submit" data-confirm=[destructive.then(|| ctx.t("form.confirm"))] { (label) }
        }
    }
}
