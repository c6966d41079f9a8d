//! The ticket page: header with whose move it is, the thread ("previous
//! correspondence") with attachments, the history, and the actions the state machine
//! allows the viewer right now.

use jiff::Timestamp;
use maud::{Markup, html};

use super::data::TicketDrafts;
use super::{file_size, status_badge, ticket_href};
use crate::domain::accounts::Account;
use crate::domain::ids::{AccountId, PriorityId, TopicId};
use crate::domain::read::TicketDetail;
use crate::domain::ticket::{Actor, Attachment, Change, Message, Status, Visibility};
use crate::views::forms::{FormErrors, flash, message};
use crate::views::markdown;
use crate::views::parts::{priority_chip, tenant_base};
use crate::views::time::relative;
use crate::views::{PageCtx, layout};

/// The forms of the page, by the name `FormErrors::for_form` gives them (the last path
/// segment of their URL).
const FORMS: [&str; 7] = [
    "reply", "note", "accept", "assign", "priority", "topic", "resolve",
];

use actions::{Allowed, actions};

/// `/t/{slug}/tickets/{n}`. `viewer` is the person looking (their account and role in
/// the tenant); `errors` belong to the form named by `FormErrors::for_form` (`"reply"`,
/// `"note"`, `"accept"`, `"assign"`, `"priority"`, `"topic"`, `"resolve"`; unnamed errors
/// go to the reply form, and refusals of the state machine — field `action` — appear at
/// the top). `done` is the confirmation key after a successful action.
pub fn ticket_page(
    ctx: &PageCtx,
    now: Timestamp,
    d: &TicketDetail,
    viewer: Actor,
    errors: &FormErrors,
    done: Option<&str>,
) -> Markup {
    ticket_page_with(ctx, now, d, viewer, errors, done, &TicketDrafts::default())
}

/// [`ticket_page`] with what was typed into the failed form, so nothing is lost.
pub fn ticket_page_with(
    ctx: &PageCtx,
    now: Timestamp,
    d: &TicketDetail,
    viewer: Actor,
    errors: &FormErrors,
    done: Option<&str>,
    drafts: &TicketDrafts,
) -> Markup {
    let t = &d.ticket;
    let staff = viewer.role.is_staff();
    let allowed = Allowed::of(d, viewer);
    let url = ticket_href(ctx, t.number);
    let base = tenant_base(ctx);
    let number = t.number.to_string();
    let kicker = if staff {
        ctx.tf("ticket.number", &[("n", &number)])
    } else {
        ctx.tf("ticket.number_customer", &[("n", &number)])
    };
    let (back_href, back_key) = if staff {
        match t.status.tab() {
            Some(tab) if t.deleted.is_none() => {
                (format!("{base}/queue/{}", tab.code()), "ticket.back_queue")
            }
            _ => (format!("{base}/tickets"), "ticket.back_manage"),
        }
    } else {
        (format!("{base}/my"), "ticket.back_my")
    };
    let target = errors
        .target()
        .filter(|f| FORMS.contains(f))
        .unwrap_or("reply");
    let none = FormErrors::new();
    let errors_of = |form: &str| if form == target { errors } else { &none };
    layout::page(
        ctx,
        &t.subject,
        html! {
            div.ticket-page
                data-live={ (base) "/events" }
                data-ticket=(t.number)
                data-live-text=(ctx.t("live.ticket_changed"))
                data-live-reload=(ctx.t("live.reload")) {
                p.back { a href=(back_href) { "← " (ctx.t(back_key)) } }
                header.ticket-head {
                    p.kicker { (kicker) }
                    h1 { (t.subject) }
                    p.ticket-state {
                        (status_badge(ctx, t.status, staff))
                        @if let Some(p) = &d.priority {
                            " " (priority_chip(&p.name, &p.colour))
                        }
                        @if t.deleted.is_some() {
                            " " span.badge.off { (ctx.t("ticket.in_trash")) }
                        }
                    }
                    (whose_move(ctx, now, d, staff))
                }
                (flash(ctx, done))
                (summary(ctx, errors, target))
                (facts(ctx, now, d, staff))
                @if allowed.reply {
                    a.button.sticky-reply href="#reply" { (ctx.t("ticket.reply_button")) }
                }
                @if let Some(solution) = &t.solution {
                    @if matches!(t.status, Status::Resolved | Status::Closed) {
                        section.card.solution aria-labelledby="solution-title" {
                            h2 #solution-title { (ctx.t("ticket.solution_title")) }
                            (markdown::render(solution))
                        }
                    }
                }
                (thread(ctx, now, d, staff, &url))
                (history(ctx, now, d, staff))
                (actions(ctx, d, viewer, &allowed, &url, &errors_of, drafts))
            }
        },
    )
}

/// The line that says whose move it is, in the viewer's words.
fn whose_move(ctx: &PageCtx, now: Timestamp, d: &TicketDetail, staff: bool) -> Markup {
    let t = &d.ticket;
    if let Some((when, _)) = t.deleted {
        return html! {
            p.whose-move.move-off role="status" {
                strong { (ctx.t("ticket.move_trash")) }
                " " span { (ctx.t("ticket.move_trash_text")) " " (relative(ctx, now, when)) }
            }
        };
    }
    // The viewer's move: support's while a ticket is new or accepted, the customer's while
    // support waits for them.
    let yours = matches!(
        (staff, t.status),
        (true, Status::New | Status::Open) | (false, Status::Waiting)
    );
    let side = if staff { "staff" } else { "customer" };
    let head = format!("ticket.move_{side}_{}", t.status.code());
    let text = format!("{head}_text");
    html! {
        p.whose-move.move-you[yours] role="status" {
            strong { (ctx.t(&head)) }
            " " span { (ctx.t(&text)) }
        }
    }
}

/// The error summary of the page: field errors link to their field in the form they
/// belong to; refusals (field `action`) have no field and stand alone.
fn summary(ctx: &PageCtx, errors: &FormErrors, form: &str) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" tabindex="-1" {
                p { strong { (ctx.t("form.errors_title")) } }
                ul {
                    @for (field, key) in errors.iter() {
                        li {
                            @if field == "action" {
                                (message(ctx, key))
                            } @else {
                                a href={ "#" (anchor(form, field)) } {
                                    (ctx.t(&format!("field.{field}"))) ": " (message(ctx, key))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The element id of `field` in `form`; the service names some fields differently from
/// the inputs (the assign note is validated as `body`, the choice forms use `value`).
fn anchor(form: &str, field: &str) -> String {
    let input = match (form, field) {
        ("assign", "body") => "note",
        ("priority", "priority") | ("topic", "topic") => "value",
        _ => field,
    };
    format!("f-{form}-{input}")
}

fn person_name<'a>(ctx: &'a PageCtx, account: Option<&'a Account>) -> &'a str {
    account.map_or_else(|| ctx.t("ticket.unknown_person"), |a| a.name.as_str())
}

fn facts(ctx: &PageCtx, now: Timestamp, d: &TicketDetail, staff: bool) -> Markup {
    let t = &d.ticket;
    let on_behalf = t.created_by != t.customer;
    html! {
        section.card.ticket-facts aria-label=(ctx.t("ticket.facts")) {
            dl.facts {
                dt { (ctx.t("ticket.customer")) }
                dd {
                    @match &d.customer {
                        Some(c) => {
                            span.contact {
                                strong { (c.name) }
                                a href={ "mailto:" (c.email) } { (c.email) }
                                @if !c.phone.is_empty() {
                                    a href={ "tel:" (dial(&c.phone)) } { (c.phone) }
                                }
                            }
                        }
                        None => { (ctx.t("ticket.unknown_person")) }
                    }
                }
                @if on_behalf && staff {
                    dt { (ctx.t("ticket.created_by")) }
                    dd { (person_name(ctx, d.created_by.as_ref())) }
                }
                dt { (ctx.t("ticket.assignee")) }
                dd {
                    @match &d.assignee {
                        Some(a) => { (a.name) }
                        None => { span.hint { (ctx.t("ticket.unassigned")) } }
                    }
                }
                dt { (ctx.t("field.priority")) }
                dd {
                    @match &d.priority {
                        Some(p) => { (priority_chip(&p.name, &p.colour)) }
                        None => { span.hint { (ctx.t("ticket.no_priority")) } }
                    }
                }
                dt { (ctx.t("field.topic")) }
                dd {
                    @match &d.topic {
                        Some(topic) => {
                            (topic.name)
                            @if topic.deleted { " " span.badge.off { (ctx.t("ticket.topic_deleted")) } }
                        }
                        None => { span.hint { (ctx.t("tickets.no_topic")) } }
                    }
                }
                dt { (ctx.t("ticket.created")) }
                dd { (relative(ctx, now, t.created_at)) }
                dt { (ctx.t("ticket.updated")) }
                dd { (relative(ctx, now, t.updated_at)) }
            }
        }
    }
}

/// A phone number as a `tel:` target: digits and a leading plus only.
fn dial(phone: &str) -> String {
    let mut out = String::with_capacity(phone.len());
    for (i, c) in phone.trim().chars().enumerate() {
        if c.is_ascii_digit() || (c == '+' && i == 0) {
            out.push(c);
        }
    }
    out
}

fn visible(m: &Message, staff: bool) -> bool {
    staff || m.visibility == Visibility::Public
}

fn thread(ctx: &PageCtx, now: Timestamp, d: &TicketDetail, staff: bool, url: &str) -> Markup {
    let mut messages: Vec<&(Message, Option<Account>)> = d
        .messages
        .iter()
        .filter(|(m, _)| visible(m, staff))
        .collect();
    messages.sort_by_key(|(m, _)| (m.created_at, m.seq));
    html! {
        section.thread aria-labelledby="thread-title" {
            h2 #thread-title { (ctx.t("ticket.thread_title")) }
            @if messages.is_empty() {
                article.message {
                    (markdown::render(&d.ticket.body))
                }
            } @else {
                ol.thread-list {
                    @for (m, author) in messages {
                        @let internal = m.visibility == Visibility::Internal;
                        li.message.internal[internal] id={ "m" (m.seq) } {
                            article aria-labelledby={ "m" (m.seq) "-head" } {
                                header.message-head id={ "m" (m.seq) "-head" } {
                                    strong.author { (person_name(ctx, author.as_ref())) }
                                    " "
                                    @if m.author == d.ticket.customer {
                                        span.badge.role-customer { (ctx.t("ticket.author_customer")) }
                                    } @else {
                                        span.badge.role-supporter { (ctx.t("ticket.author_support")) }
                                    }
                                    @if internal {
                                        " " span.badge.internal-label { (ctx.t("ticket.internal_note")) }
                                    }
                                    @if m.seq == 1 {
                                        " " span.hint { (ctx.t("ticket.original")) }
                                    }
                                    " " span.when { (relative(ctx, now, m.created_at)) }
                                }
                                (markdown::render(&m.body))
                                @if !m.attachments.is_empty() {
                                    (attachments(ctx, url, m.seq, &m.attachments))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn attachments(ctx: &PageCtx, url: &str, seq: u32, files: &[Attachment]) -> Markup {
    html! {
        ul.attachments aria-label=(ctx.t("ticket.attachments")) {
            @for (index, a) in files.iter().enumerate() {
                @let href = format!("{url}/files/{seq}/{index}");
                li.image[a.is_inline_image()] {
                    @if a.is_inline_image() {
                        a.thumb href=(href) {
                            img src={ (href) "?thumb=1" } alt=(a.name) loading="lazy" width="160" height="120";
                        }
                    }
                    span.file-line {
                        a.file href=(href) download=[(!a.is_inline_image()).then_some(a.name.as_str())] {
                            (a.name)
                        }
                        " " span.hint { "(" (file_size(ctx, a.size)) ")" }
                    }
                }
            }
        }
    }
}

fn history(ctx: &PageCtx, now: Timestamp, d: &TicketDetail, staff: bool) -> Markup {
    let entries: Vec<_> = d
        .history
        .iter()
        .filter(|(h, _)| staff || !h.change.is_internal())
        .collect();
    html! {
        @if !entries.is_empty() {
            details.history {
                summary { (ctx.t("ticket.history_title")) " (" (entries.len()) ")" }
                ol.history-list {
                    @for (h, actor) in entries {
                        li {
                            span.when { (relative(ctx, now, h.at)) }
                            " · "
                            strong { (person_name(ctx, actor.as_ref())) }
                            " "
                            (change_text(ctx, d, staff, &h.change))
                        }
                    }
                }
            }
        }
    }
}

fn account_name<'a>(ctx: &'a PageCtx, d: &'a TicketDetail, id: AccountId) -> &'a str {
    let known = d
        .staff
        .iter()
        .chain(d.customer.iter())
        .chain(d.assignee.iter())
        .chain(d.created_by.iter())
        .chain(d.messages.iter().filter_map(|(_, a)| a.as_ref()))
        .chain(d.history.iter().filter_map(|(_, a)| a.as_ref()))
        .find(|a| a.id == id);
    known.map_or_else(|| ctx.t("history.someone"), |a| a.name.as_str())
}

fn priority_name<'a>(ctx: &'a PageCtx, d: &'a TicketDetail, id: PriorityId) -> &'a str {
    d.priorities
        .iter()
        .chain(d.priority.iter())
        .find(|p| p.id == id)
        .map_or_else(|| ctx.t("history.unknown_priority"), |p| p.name.as_str())
}

fn topic_name<'a>(ctx: &'a PageCtx, d: &'a TicketDetail, id: Option<TopicId>) -> &'a str {
    match id {
        None => ctx.t("tickets.no_topic"),
        Some(id) => d
            .topics
            .iter()
            .chain(d.topic.iter())
            .find(|t| t.id == id)
            .map_or_else(|| ctx.t("history.unknown_topic"), |t| t.name.as_str()),
    }
}

fn change_text(ctx: &PageCtx, d: &TicketDetail, staff: bool, change: &Change) -> String {
    match change {
        Change::Created { on_behalf: false } => ctx.t("history.created").to_owned(),
        Change::Created { on_behalf: true } => ctx.t("history.created_on_behalf").to_owned(),
        Change::Accepted { assignee, priority } => ctx.tf(
            "history.accepted",
            &[
                ("assignee", account_name(ctx, d, *assignee)),
                ("priority", priority_name(ctx, d, *priority)),
            ],
        ),
        Change::Assigned { to, .. } => {
            ctx.tf("history.assigned", &[("to", account_name(ctx, d, *to))])
        }
        Change::StatusChanged { from, to } => ctx.tf(
            "history.status_changed",
            &[
                ("from", super::status_text(ctx, *from, staff)),
                ("to", super::status_text(ctx, *to, staff)),
            ],
        ),
        Change::PriorityChanged { to, .. } => ctx.tf(
            "history.priority_changed",
            &[("to", priority_name(ctx, d, *to))],
        ),
        Change::TopicChanged { to, .. } => {
            ctx.tf("history.topic_changed", &[("to", topic_name(ctx, d, *to))])
        }
        Change::Replied { .. } => ctx.t("history.replied").to_owned(),
        Change::Noted { .. } => ctx.t("history.noted").to_owned(),
        Change::Resolved => ctx.t("history.resolved").to_owned(),
        Change::Closed => ctx.t("history.closed").to_owned(),
        Change::Reopened => ctx.t("history.reopened").to_owned(),
        Change::Deleted => ctx.t("history.deleted").to_owned(),
        Change::Restored => ctx.t("history.restored").to_owned(),
    }
}

mod actions;
#[cfg(test)]
mod tests;
