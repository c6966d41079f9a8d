//! Form building blocks shared by every page (docs/ui.md, "Forms"): labels above fields, the
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
    /// Which form of a page with several forms the errors belong to (see [`FormErrors::for_form`]).
    target: Option<String>,
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

    /// Names the form these errors belong to on a page with several forms: `"invite"` or
    /// `"create"` on the users page, the id of the edited row (`"12"`) on the priorities
    /// and topics pages. Without a target the errors belong to the page's main (add) form.
    pub fn for_form(mut self, target: impl Into<String>) -> FormErrors {
        self.target = Some(target.into());
        self
    }

    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }
}

/// The localised message for a validation key.
pub fn message(ctx: &PageCtx, key: &str) -> String {
    ctx.t(&format!("validation.{key}")).to_owned()
}

/// The summary at the top of a form, linking to each field.
pub fn error_summary(ctx: &PageCtx, errors: &FormErrors) -> Markup {
    error_summary_in(ctx, errors, "")
}

/// [`error_summary`] for a form whose fields were rendered with [`FieldOpts::form`] = `form`.
pub fn error_summary_in(ctx: &PageCtx, errors: &FormErrors, form: &str) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" tabindex="-1" {
                p { strong { (ctx.t("form.errors_title")) } }
                ul {
                    @for (field, key) in errors.iter() {
                        li { a href={ "#" (field_id(form, field)) } { (ctx.t(&format!("field.{field}"))) ": " (message(ctx, key)) } }
                    }
                }
            }
        }
    }
}

/// The element id of a field: `f-{name}`, or `f-{form}-{name}` when a page has several
/// forms with fields of the same name.
pub fn field_id(form: &str, name: &str) -> String {
    if form.is_empty() {
        format!("f-{name}")
    } else {
        format!("f-{form}-{name}")
    }
}

/// Options beyond the basic field helpers.
#[derive(Debug, Clone, Copy, Default)]
pub struct FieldOpts<'a> {
    /// Keeps ids unique when one page has several forms (see [`field_id`]).
    pub form: &'a str,
    pub required: bool,
    /// Catalog key of a short explanation shown under the label.
    pub hint_key: Option<&'a str>,
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
    field_with(
        ctx,
        errors,
        name,
        kind,
        value,
        FieldOpts {
            required,
            ..FieldOpts::default()
        },
    )
}

/// [`field`] with a form prefix for the id and an optional hint.
pub fn field_with(
    ctx: &PageCtx,
    errors: &FormErrors,
    name: &str,
    kind: InputKind,
    value: &str,
    opts: FieldOpts<'_>,
) -> Markup {
    let id = field_id(opts.form, name);
    let error = errors.get(name);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = match (error.is_some(), opts.hint_key.is_some()) {
        (true, true) => Some(format!("{error_id} {hint_id}")),
        (true, false) => Some(error_id.clone()),
        (false, true) => Some(hint_id.clone()),
        (false, false) => None,
    };
    let required = opts.required;
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (ctx.t(&format!("field.{name}"))) @if required { span.req aria-hidden="true" { " *" } } }
            @if let Some(hint) = opts.hint_key {
                p.hint id=(hint_id) { (ctx.t(hint)) }
            }
            @if let Some(key) = error {
                p.field-error id=(error_id) { (message(ctx, key)) }
            }
            input id=(id) name=(name) type=(kind.html_type())
                value=[(kind != InputKind::Password && kind != InputKind::NewPassword).then_some(value)]
                autocomplete=(kind.autocomplete(name))
                required[required]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[described];
        }
    }
}

/// A labelled multi-line text field.
pub fn textarea(ctx: &PageCtx, errors: &FormErrors, name: &str, value: &str, rows: u32) -> Markup {
    textarea_with(ctx, errors, name, value, rows, FieldOpts::default())
}

/// [`textarea`] with a form prefix for the id and an optional hint.
pub fn textarea_with(
    ctx: &PageCtx,
    errors: &FormErrors,
    name: &str,
    value: &str,
    rows: u32,
    opts: FieldOpts<'_>,
) -> Markup {
    let id = field_id(opts.form, name);
    let error = errors.get(name);
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (ctx.t(&format!("field.{name}"))) @if opts.required { span.req aria-hidden="true" { " *" } } }
            @if let Some(hint) = opts.hint_key {
                p.hint { (ctx.t(hint)) }
            }
            @if let Some(key) = error {
                p.field-error id={ (id) "-error" } { (message(ctx, key)) }
            }
            textarea id=(id) name=(name) rows=(rows) required[opts.required] aria-invalid=[error.map(|_| "true")] { (value) }
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
    select_with(ctx, errors, name, options, selected, FieldOpts::default())
}

/// [`select`] with a form prefix for the id and an optional hint.
pub fn select_with(
    ctx: &PageCtx,
    errors: &FormErrors,
    name: &str,
    options: &[(String, String)],
    selected: &str,
    opts: FieldOpts<'_>,
) -> Markup {
    let id = field_id(opts.form, name);
    let error = errors.get(name);
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (ctx.t(&format!("field.{name}"))) }
            @if let Some(hint) = opts.hint_key {
                p.hint { (ctx.t(hint)) }
            }
            @if let Some(key) = error {
                p.field-error { (message(ctx, key)) }
            }
            select id=(id) name=(name) aria-invalid=[error.map(|_| "true")] {
                @for (value, label) in options {
                    option value=(value) selected[value == selected] { (label) }
                }
            }
        }
    }
}

/// A labelled checkbox.
pub fn checkbox(ctx: &PageCtx, name: &str, checked: bool) -> Markup {
    checkbox_in(ctx, name, checked, "")
}

/// [`checkbox`] with a form prefix for the id (see [`field_id`]).
pub fn checkbox_in(ctx: &PageCtx, name: &str, checked: bool, form: &str) -> Markup {
    let id = field_id(form, name);
    html! {
        div.field.checkbox {
            input id=(id) type="checkbox" name=(name) value="on" checked[checked];
            label for=(id) { (ctx.t(&format!("field.{name}"))) }
        }
    }
}

/// A one-line confirmation after a successful action (post/redirect/get), chosen by the
/// `done` query parameter so a reload shows it again without repeating the action.
///
/// `done` comes from the URL, so only keys the catalog knows are shown: a crafted link
/// cannot put arbitrary text on the page.
pub fn flash(ctx: &PageCtx, done: Option<&str>) -> Markup {
    let text = done.and_then(|key| {
        let full = format!("done.{key}");
        let text = ctx.t(&full);
        (text != full).then(|| text.to_owned())
    });
    html! {
        @if let Some(text) = text {
            p.flash role="status" { (text) }
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
