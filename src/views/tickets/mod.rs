//! Ticket pages (docs/tickets.md, docs/ui.md): reporting a problem, filing one for a
//! customer, the ticket page with its thread and actions, the supporter queues, ticket
//! management and "My requests".
//!
//! Staff and customers read different words for the same status (`status.staff.*` and
//! `status.customer.*`); which one a page uses follows the viewer's role (docs/ui.md,
//! "Vocabulary").

pub mod data;
mod list;
mod new;
mod page;

pub use data::{
    AcceptForm, AssignForm, ChoiceForm, ListFilter, MyFilter, NewForCustomerForm, NewTicketForm,
    ReplyForm, ResolveForm, TicketDrafts,
};
pub use list::{ManageView, manage, my_requests, queue};
pub use new::{customer_matches, new_for_customer, new_ticket};
pub use page::{ticket_page, ticket_page_with};

use maud::{Markup, html};

use super::PageCtx;
use super::forms::{FormErrors, message};
use super::parts::{tenant_base, tenant_nav};
use crate::domain::ticket::{Status, customer_label_key};

/// Whether the page's viewer works for support in this tenant.
pub(crate) fn viewer_is_staff(ctx: &PageCtx) -> bool {
    tenant_nav(ctx).is_some_and(|t| t.role.is_staff())
}

/// The words for a status: support's vocabulary, or what the customer reads.
pub fn status_text(ctx: &PageCtx, status: Status, staff: bool) -> &str {
    if staff {
        ctx.t(staff_label_key(status))
    } else {
        ctx.t(customer_label_key(status))
    }
}

fn staff_label_key(status: Status) -> &'static str {
    match status {
        Status::New => "status.staff.new",
        Status::Open => "status.staff.open",
        Status::Waiting => "status.staff.waiting",
        Status::Resolved => "status.staff.resolved",
        Status::Closed => "status.staff.closed",
    }
}

/// A status badge: a fixed colour per status, and always the text.
pub fn status_badge(ctx: &PageCtx, status: Status, staff: bool) -> Markup {
    let class = format!("badge st-{}", status.code());
    html! { span class=(class) { (status_text(ctx, status, staff)) } }
}

/// `/t/{slug}/tickets/{number}`.
pub fn ticket_href(ctx: &PageCtx, number: u64) -> String {
    format!("{}/tickets/{number}", tenant_base(ctx))
}

/// `path?k=v&…` with the pairs URL-encoded; pairs with an empty value are left out so
/// bookmarked URLs stay short.
pub(crate) fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if kept.is_empty() {
        return path.to_owned();
    }
    match serde_urlencoded::to_string(&kept) {
        Ok(query) => format!("{path}?{query}"),
        Err(_) => path.to_owned(),
    }
}

/// A file size as people read it ("820 KB", "3,4 MB" in German).
pub(crate) fn file_size(ctx: &PageCtx, bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * KB;
    const GB: u64 = 1024 * MB;
    let (value, unit) = if bytes < KB {
        return format!("{bytes} B");
    } else if bytes < MB {
        (bytes as f64 / KB as f64, "KB")
    } else if bytes < GB {
        (bytes as f64 / MB as f64, "MB")
    } else {
        (bytes as f64 / GB as f64, "GB")
    };
    let text = if value < 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    let text = if ctx.t("number.decimal") == "," {
        text.replace('.', ",")
    } else {
        text
    };
    format!("{text} {unit}")
}

/// The error message for `field`, if any.
pub(crate) fn error_text(ctx: &PageCtx, errors: &FormErrors, field: &str) -> Option<String> {
    errors.get(field).map(|key| message(ctx, key))
}

/// A labelled `<select>` whose label is not `field.{name}` (filters, the priority and
/// topic forms, whose field is called `value`).
pub(crate) fn labelled_select(
    id: &str,
    name: &str,
    label: &str,
    options: &[(String, String)],
    selected: &str,
    error: Option<&str>,
) -> Markup {
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(e) = error {
                p.field-error id={ (id) "-error" } { (e) }
            }
            select id=(id) name=(name) aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("{id}-error"))] {
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
        }
    }
}

/// A labelled `<input>` whose label is not `field.{name}`.
/// Browsers never autofill these (a supporter's own address must not land in a
/// customer's field).
pub(crate) fn labelled_input(
    id: &str,
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    hint: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let described = match (hint.is_some(), error.is_some()) {
        (true, true) => Some(format!("{id}-hint {id}-error")),
        (true, false) => Some(format!("{id}-hint")),
        (false, true) => Some(format!("{id}-error")),
        (false, false) => None,
    };
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(h) = hint {
                p.hint id={ (id) "-hint" } { (h) }
            }
            @if let Some(e) = error {
                p.field-error id={ (id) "-error" } { (e) }
            }
            input id=(id) name=(name) type=(kind) value=(value) autocomplete="off"
                inputmode=[(name == "number").then_some("numeric")]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[described];
        }
    }
}

/// The file picker of every form that uploads: several files, any type, with the limits
/// spelled out and the error (too large, too many) next to it.
pub(crate) fn files_field(ctx: &PageCtx, errors: &FormErrors, form: &str) -> Markup {
    let id = if form.is_empty() {
        "f-files".to_owned()
    } else {
        format!("f-{form}-files")
    };
    let error = error_text(ctx, errors, "files");
    html! {
        div.field.files.has-error[error.is_some()] {
            label for=(id) { (ctx.t("field.files")) }
            p.hint id={ (id) "-hint" } { (ctx.t("tickets.files_hint")) }
            @if let Some(e) = &error {
                p.field-error id={ (id) "-error" } { (e) }
            }
            input id=(id) type="file" name="files" multiple
                aria-invalid=[error.as_ref().map(|_| "true")]
                aria-describedby={ (id) "-hint" @if error.is_some() { " " (id) "-error" } };
            p.files-status.hint aria-live="polite" data-files-status {}
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use jiff::Timestamp;

    use crate::domain::accounts::Account;
    use crate::domain::catalog::{Priority, Topic};
    use crate::domain::ids::{AccountId, PriorityId, TenantId, TopicId};
    use crate::domain::read::TicketRow;
    use crate::domain::ticket::{Status, Ticket};

    pub const CUSTOMER: AccountId = AccountId(10);
    pub const SUPPORTER: AccountId = AccountId(20);
    pub const ADMIN: AccountId = AccountId(30);

    pub fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    pub fn now() -> Timestamp {
        at("2025-03-10T12:00:00Z")
    }

    pub fn account(id: AccountId, name: &str) -> Account {
        Account {
            id,
            email: format!("{}@example.org", id.0),
            name: name.into(),
            phone: "+49 30 1234-56".into(),
            lang: None,
            password_hash: "h".into(),
            must_change_password: false,
            operator: false,
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    pub fn priority(id: u64, name: &str) -> Priority {
        Priority {
            tenant: TenantId(1),
            id: PriorityId(id),
            name: name.into(),
            colour: "#cc0000".into(),
            rank: id as u32,
            response_target_minutes: None,
        }
    }

    pub fn topic(id: u64, name: &str) -> Topic {
        Topic {
            tenant: TenantId(1),
            id: TopicId(id),
            name: name.into(),
            description: String::new(),
            active: true,
            deleted: false,
        }
    }

    pub fn ticket(number: u64, status: Status, subject: &str) -> Ticket {
        Ticket {
            tenant: TenantId(1),
            number,
            subject: subject.into(),
            body: "It is **broken**.".into(),
            customer: CUSTOMER,
            created_by: CUSTOMER,
            assignee: None,
            priority: None,
            topic: None,
            status,
            created_at: at("2025-03-10T09:00:00Z"),
            updated_at: at("2025-03-10T11:00:00Z"),
            waiting_since: at("2025-03-10T10:00:00Z"),
            solution: None,
            deleted: None,
            message_count: 1,
            attachment_count: 0,
        }
    }

    pub fn row(number: u64, status: Status, subject: &str) -> TicketRow {
        TicketRow {
            ticket: ticket(number, status, subject),
            customer_name: "Carla <Customer>".into(),
            assignee_name: Some("Sam Supporter".into()),
            priority: Some(priority(1, "Urgent")),
            topic_name: Some("Printers".into()),
        }
    }
}

#[cfg(test)]
pub(crate) mod catalog_check {
    use crate::domain::lang::Lang;
    use crate::views::test_support::ctx;

    /// Every quoted `"area.key"` literal of `source` (outside its tests) that looks like a
    /// catalog key exists in both catalogs.
    pub fn assert_keys_exist(file: &str, source: &str) {
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        let mut found = 0;
        for lang in Lang::ALL {
            let c = ctx(lang);
            for (i, piece) in code.split('"').enumerate() {
                let is_key = i % 2 == 1
                    && piece.contains('.')
                    && !piece.starts_with('.')
                    && !piece.ends_with('.')
                    && piece
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_');
                if !is_key
                    || piece.ends_with(".rs")
                    || piece.ends_with(".js")
                    || piece.ends_with(".css")
                {
                    continue;
                }
                found += 1;
                assert_ne!(
                    c.t(piece),
                    piece,
                    "{lang}: {piece} used in {file} is missing"
                );
            }
        }
        assert!(
            found > 0 || file == "data.rs",
            "{file}: the scan finds keys"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lang::Lang;
    use crate::domain::role::Role;
    use crate::views::test_support::{ctx, user_ctx};

    #[test]
    fn every_key_the_ticket_views_use_exists() {
        for (file, source) in [
            ("tickets/mod.rs", include_str!("mod.rs")),
            ("tickets/new.rs", include_str!("new.rs")),
            ("tickets/page.rs", include_str!("page.rs")),
            ("tickets/page/actions.rs", include_str!("page/actions.rs")),
            ("tickets/list.rs", include_str!("list.rs")),
            ("search.rs", include_str!("../search.rs")),
            ("layout.rs", include_str!("../layout.rs")),
        ] {
            catalog_check::assert_keys_exist(file, source);
        }
        let mut dynamic = Vec::new();
        for status in Status::ALL {
            dynamic.push(format!("status.staff.{}", status.code()));
            dynamic.push(format!("status.customer.{}", status.code()));
        }
        for tab in crate::domain::ticket::Tab::ALL {
            dynamic.push(format!("tab.{}", tab.code()));
        }
        for key in [
            "ticket.refused_role",
            "ticket.refused_status",
            "ticket.refused_trash",
            "ticket.refused_not_trash",
            "file_too_large",
            "too_many_files",
            "request_too_large",
            "password_unchanged",
            "own_account",
            "last_priority",
            "date_past",
            "invalid_date",
        ] {
            dynamic.push(format!("validation.{key}"));
        }
        for field in [
            "subject",
            "body",
            "topic",
            "priority",
            "assignee",
            "customer",
            "customer_q",
            "customer_id",
            "new_name",
            "new_email",
            "new_phone",
            "solution",
            "note",
            "files",
            "action",
            "value",
            "number",
            "status",
            "from",
            "to",
            "mine",
        ] {
            dynamic.push(format!("field.{field}"));
        }
        for done in [
            "ticket_created",
            "replied",
            "noted",
            "accepted",
            "assigned",
            "resolved",
            "closed",
            "reopened",
            "deleted_ticket",
            "restored",
            "purged",
            "priority_changed",
            "topic_changed",
        ] {
            dynamic.push(format!("done.{done}"));
        }
        for lang in Lang::ALL {
            let c = ctx(lang);
            for key in &dynamic {
                assert_ne!(c.t(key), key.as_str(), "{lang}: {key} is missing");
            }
        }
    }

    #[test]
    fn both_vocabularies_name_every_status() {
        let de = ctx(Lang::De);
        let en = ctx(Lang::En);
        assert_eq!(status_text(&de, Status::New, true), "Neu");
        assert_eq!(status_text(&de, Status::Open, true), "Angenommen");
        assert_eq!(status_text(&de, Status::Waiting, true), "Rückfrage");
        assert_eq!(status_text(&de, Status::Resolved, true), "Gelöst");
        assert_eq!(status_text(&de, Status::Closed, true), "Geschlossen");
        assert_eq!(status_text(&en, Status::New, false), "Submitted");
        assert_eq!(status_text(&en, Status::Open, false), "Accepted by support");
        assert_eq!(
            status_text(&en, Status::Waiting, false),
            "Support is waiting for you"
        );
        assert_eq!(status_text(&en, Status::Resolved, false), "Resolved");
        assert_eq!(status_text(&en, Status::Closed, false), "Closed");
        let badge = status_badge(&en, Status::Waiting, true).into_string();
        assert_eq!(
            badge,
            "<span class=\"badge st-waiting\">Question to you</span>"
        );
    }

    #[test]
    fn helpers_build_safe_urls_and_sizes() {
        assert_eq!(with_query("/x", &[("a", ""), ("b", "")]), "/x");
        assert_eq!(
            with_query("/x", &[("q", "a&b=c <d>"), ("n", "")]),
            "/x?q=a%26b%3Dc+%3Cd%3E"
        );
        let c = user_ctx(Lang::De, Some(Role::Customer));
        assert_eq!(file_size(&c, 512), "512 B");
        assert_eq!(file_size(&c, 3 * 1024 * 1024 + 400 * 1024), "3,4 MB");
        assert_eq!(file_size(&ctx(Lang::En), 25 * 1024 * 1024), "25 MB");
        assert!(viewer_is_staff(&user_ctx(Lang::En, Some(Role::Supporter))));
        assert!(!viewer_is_staff(&c));
        assert!(!viewer_is_staff(&ctx(Lang::En)));
    }
}
