//! The ticket page: header with whose move it is, the thread ("previous
//! correspondence") with attachments, the history, and the actions the state machine
//! allows the viewer right now.

use jiff::Timestamp;
use maud::{Markup, html};

use super::data::TicketDrafts;
use super::{
    error_text, file_size, files_field, labelled_select, status_badge, ticket_href, upload_action,
};
use crate::domain::ids::{AccountId, PriorityId, TopicId};
use crate::domain::model::Account;
use crate::domain::read::TicketDetail;
use crate::domain::role::Role;
use crate::domain::ticket::{
    Action, Actor, Attachment, Change, Message, Status, Visibility, decide,
};
use crate::views::forms::{
    FieldOpts, FormErrors, action_button, csrf_field, flash, message, textarea_with,
};
use crate::views::markdown;
use crate::views::parts::{priority_chip, tenant_base};
use crate::views::time::relative;
use crate::views::{PageCtx, layout};

/// The forms of the page, by the name `FormErrors::for_form` gives them (the last path
/// segment of their URL).
const FORMS: [&str; 7] = [
    "reply", "note", "accept", "assign", "priority", "topic", "resolve",
];

/// What the viewer may do now, asked of the state machine so the page never offers an
/// action the service would refuse.
struct Allowed {
    accept: bool,
    assign: bool,
    reply: bool,
    note: bool,
    priority: bool,
    topic: bool,
    resolve: bool,
    close: bool,
    reopen: bool,
    delete: bool,
    restore: bool,
    purge: bool,
}

impl Allowed {
    fn of(d: &TicketDetail, viewer: Actor) -> Allowed {
        let can = |action: Action| decide(&d.ticket, viewer, &action).is_ok();
        // The ids only fill the shape of the action: decide() looks at role and status.
        let me = viewer.account;
        Allowed {
            accept: can(Action::Accept {
                assignee: me,
                priority: PriorityId(0),
            }),
            assign: can(Action::Assign { to: me }),
            reply: can(Action::Reply {
                visibility: Visibility::Public,
            }),
            note: can(Action::Reply {
                visibility: Visibility::Internal,
            }),
            priority: can(Action::ChangePriority { to: PriorityId(0) }),
            topic: can(Action::ChangeTopic { to: None }),
            resolve: can(Action::Resolve),
            close: can(Action::Close),
            reopen: can(Action::Reopen),
            delete: can(Action::Delete),
            restore: can(Action::Restore),
            purge: can(Action::Purge),
        }
    }
}

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
    let (yours, head, text) = match (staff, t.status) {
        (true, Status::New) => (true, "ticket.move_staff_new", "ticket.move_staff_new_text"),
        (true, Status::Open) => (
            true,
            "ticket.move_staff_open",
            "ticket.move_staff_open_text",
        ),
        (true, Status::Waiting) => (
            false,
            "ticket.move_staff_waiting",
            "ticket.move_staff_waiting_text",
        ),
        (true, Status::Resolved) => (
            false,
            "ticket.move_staff_resolved",
            "ticket.move_staff_resolved_text",
        ),
        (true, Status::Closed) => (
            false,
            "ticket.move_staff_closed",
            "ticket.move_staff_closed_text",
        ),
        (false, Status::New) => (
            false,
            "ticket.move_customer_new",
            "ticket.move_customer_new_text",
        ),
        (false, Status::Open) => (
            false,
            "ticket.move_customer_open",
            "ticket.move_customer_open_text",
        ),
        (false, Status::Waiting) => (
            true,
            "ticket.move_customer_waiting",
            "ticket.move_customer_waiting_text",
        ),
        (false, Status::Resolved) => (
            false,
            "ticket.move_customer_resolved",
            "ticket.move_customer_resolved_text",
        ),
        (false, Status::Closed) => (
            false,
            "ticket.move_customer_closed",
            "ticket.move_customer_closed_text",
        ),
    };
    html! {
        p.whose-move.move-you[yours] role="status" {
            strong { (ctx.t(head)) }
            " " span { (ctx.t(text)) }
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

fn actions<'e>(
    ctx: &PageCtx,
    d: &TicketDetail,
    viewer: Actor,
    allowed: &Allowed,
    url: &str,
    errors_of: &dyn Fn(&str) -> &'e FormErrors,
    drafts: &TicketDrafts,
) -> Markup {
    let t = &d.ticket;
    let staff = viewer.role.is_staff();
    let priority_options: Vec<(String, String)> = d
        .priorities
        .iter()
        .map(|p| (p.id.to_string(), p.name.clone()))
        .collect();
    let staff_options: Vec<(String, String)> = d
        .staff
        .iter()
        .map(|a| (a.id.to_string(), a.name.clone()))
        .collect();
    let current_priority = t.priority.map(|p| p.to_string()).unwrap_or_default();
    let current_assignee = t.assignee.map(|a| a.to_string()).unwrap_or_default();
    let mut topic_options = vec![(String::new(), ctx.t("tickets.no_topic_choice").to_owned())];
    topic_options.extend(
        d.topics
            .iter()
            .filter(|tp| tp.active && !tp.deleted)
            .map(|tp| (tp.id.to_string(), tp.name.clone())),
    );
    if let Some(current) = &d.topic
        && !topic_options
            .iter()
            .any(|(id, _)| *id == current.id.to_string())
    {
        let name = if current.deleted {
            format!("{} ({})", current.name, ctx.t("ticket.topic_deleted"))
        } else {
            current.name.clone()
        };
        topic_options.push((current.id.to_string(), name));
    }
    let current_topic = t.topic.map(|tp| tp.to_string()).unwrap_or_default();
    let or = |typed: &str, fallback: &str| -> String {
        if typed.is_empty() {
            fallback.to_owned()
        } else {
            typed.to_owned()
        }
    };
    let any_more = allowed.assign
        || allowed.priority
        || allowed.topic
        || allowed.resolve
        || allowed.close
        || allowed.reopen
        || allowed.delete
        || allowed.restore
        || allowed.purge;
    html! {
        section.ticket-actions #actions aria-labelledby="actions-title" {
            h2 #actions-title { (ctx.t("ticket.actions_title")) }
            @if allowed.accept {
                section.card.accept #accept aria-labelledby="accept-title" {
                    h3 #accept-title { (ctx.t("ticket.accept_title")) }
                    @if priority_options.is_empty() {
                        p.notice-text { (ctx.t("ticket.no_priorities")) }
                    } @else {
                        @let e = errors_of("accept");
                        form method="post" action={ (url) "/accept" } {
                            (csrf_field(ctx))
                            div.field-row {
                                (labelled_select("f-accept-priority", "priority", ctx.t("field.priority"),
                                    &with_placeholder(ctx, &priority_options), &or(&drafts.accept.priority, &current_priority),
                                    error_text(ctx, e, "priority").as_deref()))
                                (labelled_select("f-accept-assignee", "assignee", ctx.t("field.assignee"),
                                    &staff_options, &or(&drafts.accept.assignee, &viewer.account.to_string()),
                                    error_text(ctx, e, "assignee").as_deref()))
                            }
                            div.actions { button type="submit" { (ctx.t("ticket.accept_button")) } }
                        }
                    }
                }
            }
            @if allowed.reply {
                @let e = errors_of("reply");
                section.card.reply #reply aria-labelledby="reply-title" {
                    h3 #reply-title { (ctx.t("ticket.reply_title")) }
                    @if !staff && t.status == Status::Resolved {
                        p.hint { (ctx.t("ticket.reply_reopens")) }
                    }
                    @if staff && t.status == Status::Open {
                        p.hint { (ctx.t("ticket.reply_asks")) }
                    }
                    form method="post" enctype="multipart/form-data" action=(upload_action(ctx, &format!("{url}/reply"))) data-attach {
                        (csrf_field(ctx))
                        (textarea_with(ctx, e, "body", &drafts.reply.body, 6,
                            FieldOpts { form: "reply", required: true, hint_key: Some("tickets.body_hint") }))
                        (files_field(ctx, e, "reply"))
                        div.actions { button type="submit" { (ctx.t("ticket.reply_submit")) } }
                    }
                }
            }
            @if allowed.note {
                @let e = errors_of("note");
                section.card.note-form #note aria-labelledby="note-title" {
                    h3 #note-title { span.badge.internal-label { (ctx.t("ticket.internal_note")) } " " (ctx.t("ticket.note_title")) }
                    p.hint { (ctx.t("ticket.note_hint")) }
                    form method="post" enctype="multipart/form-data" action=(upload_action(ctx, &format!("{url}/note"))) data-attach {
                        (csrf_field(ctx))
                        (textarea_with(ctx, e, "body", &drafts.note.body, 4,
                            FieldOpts { form: "note", required: true, hint_key: None }))
                        (files_field(ctx, e, "note"))
                        div.actions { button.secondary type="submit" { (ctx.t("ticket.note_submit")) } }
                    }
                }
            }
            @if !staff && !allowed.reply && t.status == Status::Closed {
                p.empty { (ctx.t("ticket.closed_customer")) " " a href={ (tenant_base(ctx)) "/tickets/new" } { (ctx.t("my.report_button")) } }
            }
            @if any_more {
                div.columns.more-actions {
                    @if allowed.assign && !staff_options.is_empty() {
                        @let e = errors_of("assign");
                        section.card #assign aria-labelledby="assign-title" {
                            h3 #assign-title { (ctx.t("ticket.assign_title")) }
                            form method="post" action={ (url) "/assign" } {
                                (csrf_field(ctx))
                                (labelled_select("f-assign-assignee", "assignee", ctx.t("ticket.assign_to"),
                                    &staff_options, &or(&drafts.assign.assignee, &current_assignee),
                                    error_text(ctx, e, "assignee").as_deref()))
                                (assign_note(ctx, e, &drafts.assign.note))
                                div.actions { button.secondary type="submit" { (ctx.t("ticket.assign_button")) } }
                            }
                        }
                    }
                    @if allowed.priority && !priority_options.is_empty() && !allowed.accept {
                        @let e = errors_of("priority");
                        section.card #priority aria-labelledby="priority-title" {
                            h3 #priority-title { (ctx.t("ticket.priority_title")) }
                            form method="post" action={ (url) "/priority" } {
                                (csrf_field(ctx))
                                (labelled_select("f-priority-value", "value", ctx.t("field.priority"),
                                    &priority_options, &or(&drafts.priority.value, &current_priority),
                                    error_text(ctx, e, "value").or_else(|| error_text(ctx, e, "priority")).as_deref()))
                                div.actions { button.secondary type="submit" { (ctx.t("ticket.priority_button")) } }
                            }
                        }
                    }
                    @if allowed.topic && topic_options.len() > 1 {
                        @let e = errors_of("topic");
                        section.card #topic aria-labelledby="topic-title" {
                            h3 #topic-title { (ctx.t("ticket.topic_title")) }
                            form method="post" action={ (url) "/topic" } {
                                (csrf_field(ctx))
                                (labelled_select("f-topic-value", "value", ctx.t("field.topic"),
                                    &topic_options, &or(&drafts.topic.value, &current_topic),
                                    error_text(ctx, e, "value").or_else(|| error_text(ctx, e, "topic")).as_deref()))
                                div.actions { button.secondary type="submit" { (ctx.t("ticket.topic_button")) } }
                            }
                        }
                    }
                    @if allowed.resolve {
                        @let e = errors_of("resolve");
                        section.card #resolve aria-labelledby="resolve-title" {
                            h3 #resolve-title { (ctx.t("ticket.resolve_title")) }
                            form method="post" action={ (url) "/resolve" } {
                                (csrf_field(ctx))
                                (textarea_with(ctx, e, "solution", &drafts.resolve.solution, 4,
                                    FieldOpts { form: "resolve", required: true, hint_key: Some("ticket.solution_hint") }))
                                div.actions { button type="submit" { (ctx.t("ticket.resolve_button")) } }
                            }
                        }
                    }
                    @if allowed.close || allowed.reopen || allowed.delete || allowed.restore || allowed.purge {
                        section.card #status-actions aria-labelledby="status-title" {
                            h3 #status-title { (ctx.t("ticket.status_title")) }
                            div.actions {
                                @if allowed.reopen {
                                    (action_button(ctx, &format!("{url}/reopen"), ctx.t("ticket.reopen_button"), false))
                                }
                                @if allowed.close {
                                    (action_button(ctx, &format!("{url}/close"), ctx.t("ticket.close_button"), false))
                                }
                                @if allowed.restore {
                                    (action_button(ctx, &format!("{url}/restore"), ctx.t("ticket.restore_button"), false))
                                }
                                @if allowed.delete {
                                    (action_button(ctx, &format!("{url}/delete"), ctx.t("ticket.delete_button"), true))
                                }
                                @if allowed.purge {
                                    (action_button(ctx, &format!("{url}/purge"), ctx.t("ticket.purge_button"), true))
                                }
                            }
                            @if allowed.delete {
                                p.hint { (ctx.t("ticket.delete_hint")) }
                            }
                            @if allowed.purge {
                                p.hint { (ctx.t("ticket.purge_hint")) }
                            }
                        }
                    }
                }
            }
            @if viewer.role == Role::Supporter && d.ticket.deleted.is_some() {
                p.hint { (ctx.t("ticket.trash_admin_only")) }
            }
        }
    }
}

fn with_placeholder(ctx: &PageCtx, options: &[(String, String)]) -> Vec<(String, String)> {
    let mut all = vec![(String::new(), ctx.t("ticket.choose_priority").to_owned())];
    all.extend(options.iter().cloned());
    all
}

/// The optional note of a forwarding; the service validates it as `body`.
fn assign_note(ctx: &PageCtx, errors: &FormErrors, value: &str) -> Markup {
    let error = error_text(ctx, errors, "note").or_else(|| error_text(ctx, errors, "body"));
    html! {
        div.field.has-error[error.is_some()] {
            label for="f-assign-note" { (ctx.t("field.note")) }
            p.hint id="f-assign-note-hint" { (ctx.t("ticket.assign_note_hint")) }
            @if let Some(e) = &error {
                p.field-error { (e) }
            }
            textarea #f-assign-note name="note" rows="3" aria-describedby="f-assign-note-hint"
                aria-invalid=[error.as_ref().map(|_| "true")] { (value) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::TenantId;
    use crate::domain::lang::Lang;
    use crate::domain::ticket::HistoryEntry;
    use crate::views::test_support::{assert_labelled, user_ctx};
    use crate::views::tickets::fixtures::{
        ADMIN, CUSTOMER, SUPPORTER, account, at, now, priority, ticket, topic,
    };

    fn msg(seq: u32, author: AccountId, visibility: Visibility, body: &str) -> Message {
        Message {
            tenant: TenantId(1),
            ticket: 42,
            seq,
            author,
            visibility,
            body: body.into(),
            attachments: Vec::new(),
            created_at: at("2025-03-10T09:00:00Z")
                + jiff::SignedDuration::from_mins(i64::from(seq)),
        }
    }

    fn entry(seq: u32, actor: AccountId, change: Change) -> (HistoryEntry, Option<Account>) {
        (
            HistoryEntry {
                tenant: TenantId(1),
                ticket: 42,
                seq,
                at: at("2025-03-10T10:00:00Z"),
                actor,
                change,
            },
            Some(account(
                actor,
                if actor == CUSTOMER { "Carla" } else { "Sam" },
            )),
        )
    }

    fn detail(status: Status) -> TicketDetail {
        let mut t = ticket(42, status, "Drucker <script>alert(1)</script>");
        let customer = account(CUSTOMER, "Carla \"Customer\"");
        let sam = account(SUPPORTER, "Sam Supporter");
        let mut first = msg(
            1,
            CUSTOMER,
            Visibility::Public,
            "It prints **blank** pages <img src=x onerror=alert(1)>",
        );
        first.attachments = vec![
            Attachment {
                hash: [1; 32],
                name: "screen<script>.png".into(),
                mime: "image/png".into(),
                size: 2048,
            },
            Attachment {
                hash: [2; 32],
                name: "log\"><b>x</b>.txt".into(),
                mime: "text/plain".into(),
                size: 3 * 1024 * 1024,
            },
        ];
        let note = msg(
            2,
            SUPPORTER,
            Visibility::Internal,
            "SECRET toner supplier is late",
        );
        let reply = msg(
            3,
            SUPPORTER,
            Visibility::Public,
            "Did you try turning it off and on?",
        );
        if status != Status::New {
            t.assignee = Some(SUPPORTER);
            t.priority = Some(PriorityId(1));
        }
        let mut deleted_topic = topic(7, "Old printers");
        deleted_topic.deleted = true;
        t.topic = Some(deleted_topic.id);
        TicketDetail {
            ticket: t,
            customer: Some(customer.clone()),
            created_by: Some(customer.clone()),
            assignee: (status != Status::New).then(|| sam.clone()),
            priority: (status != Status::New).then(|| priority(1, "Urgent")),
            topic: Some(deleted_topic),
            messages: vec![
                (reply, Some(sam.clone())),
                (first, Some(customer)),
                (note, Some(sam.clone())),
            ],
            history: vec![
                entry(1, CUSTOMER, Change::Created { on_behalf: false }),
                entry(
                    2,
                    SUPPORTER,
                    Change::Accepted {
                        assignee: SUPPORTER,
                        priority: PriorityId(1),
                    },
                ),
                entry(3, SUPPORTER, Change::Noted { seq: 2 }),
                entry(
                    4,
                    SUPPORTER,
                    Change::StatusChanged {
                        from: Status::Open,
                        to: Status::Waiting,
                    },
                ),
            ],
            staff: vec![sam, account(ADMIN, "Ada Admin")],
            priorities: vec![priority(1, "Urgent"), priority(2, "Normal")],
            topics: vec![topic(1, "Printers")],
        }
    }

    fn customer() -> Actor {
        Actor {
            account: CUSTOMER,
            role: Role::Customer,
        }
    }

    fn supporter() -> Actor {
        Actor {
            account: SUPPORTER,
            role: Role::Supporter,
        }
    }

    fn admin() -> Actor {
        Actor {
            account: ADMIN,
            role: Role::TenantAdmin,
        }
    }

    fn render(lang: Lang, d: &TicketDetail, viewer: Actor) -> String {
        let c = user_ctx(lang, Some(viewer.role));
        ticket_page(&c, now(), d, viewer, &FormErrors::new(), None).into_string()
    }

    #[test]
    fn customers_see_their_words_and_never_internal_notes() {
        for lang in Lang::ALL {
            let html = render(lang, &detail(Status::Waiting), customer());
            assert_labelled(&html);
            assert!(!html.contains("SECRET"), "internal note leaked");
            assert!(!html.contains("internal-label"));
            assert!(
                !html.contains("hat eine interne Notiz")
                    && !html.contains("added an internal note")
            );
            assert!(html.contains("data-live=\"/t/acme/events\""));
            assert!(html.contains("data-ticket=\"42\""));
            assert!(html.contains("action=\"/t/acme/tickets/42/reply?csrf=test-token\""));
            assert!(html.contains("enctype=\"multipart/form-data\""));
            assert!(html.contains("class=\"button sticky-reply\" href=\"#reply\""));
            for forbidden in [
                "/accept",
                "/assign",
                "/note",
                "/priority\"",
                "/topic\"",
                "/resolve",
                "/close",
                "/delete",
                "/purge",
                "/restore",
                "/reopen",
            ] {
                assert!(
                    !html.contains(&format!("/t/acme/tickets/42{forbidden}")),
                    "{lang}: {forbidden}"
                );
            }
            assert!(html.contains("href=\"/t/acme/my\""));
        }
        let html = render(Lang::En, &detail(Status::Waiting), customer());
        assert!(html.contains("Request #42"));
        assert!(html.contains("Support is waiting for you"));
        assert!(html.contains("Waiting for your answer"));
        assert!(html.contains("class=\"whose-move move-you\""));
        assert!(html.contains("Previous correspondence"));
        let html = render(Lang::De, &detail(Status::Waiting), customer());
        assert!(html.contains("Der Support wartet auf Sie"));
        assert!(html.contains("Wartet auf Ihre Antwort"));
        assert!(html.contains("Bisherige Korrespondenz"));
    }

    #[test]
    fn hostile_subject_body_and_file_names_render_inert() {
        let html = render(Lang::En, &detail(Status::Open), supporter());
        assert!(!html.contains("<script>alert"), "subject");
        assert!(html.contains("Drucker &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("onerror"), "markdown body is sanitised");
        assert!(html.contains("<strong>blank</strong>"));
        assert!(html.contains("alt=\"screen&lt;script&gt;.png\""));
        assert!(html.contains("src=\"/t/acme/tickets/42/files/1/0?thumb=1\""));
        assert!(html.contains("href=\"/t/acme/tickets/42/files/1/1\""));
        assert!(html.contains("log&quot;&gt;&lt;b&gt;x&lt;/b&gt;.txt"));
        assert!(!html.contains("<b>x</b>"));
        assert!(html.contains("3.0 MB") && html.contains("2.0 KB"), "{html}");
        assert!(html.contains("Carla &quot;Customer&quot;"));
        assert!(html.contains("href=\"mailto:10@example.org\""));
        assert!(html.contains("href=\"tel:+4930123456\""));
    }

    #[test]
    fn the_thread_runs_oldest_first_and_marks_internal_notes() {
        let html = render(Lang::De, &detail(Status::Open), supporter());
        let first = html.find("id=\"m1\"").unwrap();
        let note = html.find("id=\"m2\"").unwrap();
        let reply = html.find("id=\"m3\"").unwrap();
        assert!(first < note && note < reply);
        assert!(
            html.contains("<li class=\"message internal\" id=\"m2\">"),
            "{html}"
        );
        assert!(html.contains("SECRET"));
        assert!(html.contains("Interne Notiz"));
        assert!(html.contains("ursprüngliche Anfrage"));
        assert!(html.contains("<details class=\"history\">"));
        assert!(html.contains("hat eine interne Notiz hinzugefügt"));
        assert!(
            html.contains("zuständig: Sam Supporter, Priorität: Urgent"),
            "{html}"
        );
        assert!(html.contains("von „Angenommen“ auf „Rückfrage“"));
        assert!(
            html.contains("Old printers") && html.contains(">gelöscht<"),
            "deleted topic marked"
        );
    }

    #[test]
    fn staff_get_the_actions_the_status_allows() {
        // New: accept (priority + assignee, self by default), note, resolve, close, delete.
        let html = render(Lang::En, &detail(Status::New), supporter());
        assert_labelled(&html);
        assert!(html.contains("Ticket #42"));
        assert!(html.contains("action=\"/t/acme/tickets/42/accept\""));
        assert!(html.contains("id=\"f-accept-priority\" name=\"priority\""));
        assert!(
            html.contains("<option value=\"20\" selected>Sam Supporter</option>"),
            "self by default"
        );
        assert!(
            !html.contains("/t/acme/tickets/42/reply"),
            "a new ticket is accepted before replying"
        );
        assert!(!html.contains("sticky-reply"));
        assert!(html.contains("action=\"/t/acme/tickets/42/note?csrf=test-token\""));
        assert!(html.contains("action=\"/t/acme/tickets/42/resolve\""));
        assert!(html.contains("action=\"/t/acme/tickets/42/close\""));
        assert!(html.contains("action=\"/t/acme/tickets/42/delete\""));
        assert!(html.contains("data-confirm="));
        assert!(
            !html.contains("/reopen") && !html.contains("/restore") && !html.contains("/purge")
        );
        assert!(html.contains("Waiting to be accepted"));
        assert!(html.contains("Neu") || html.contains(">New<"));

        // Open: reply, forward with note, priority and topic, resolve.
        let html = render(Lang::En, &detail(Status::Open), supporter());
        assert_labelled(&html);
        assert!(html.contains("action=\"/t/acme/tickets/42/reply?csrf=test-token\""));
        assert!(html.contains("sticky-reply"));
        assert!(html.contains("action=\"/t/acme/tickets/42/assign\""));
        assert!(html.contains("name=\"note\""));
        assert!(html.contains("action=\"/t/acme/tickets/42/priority\""));
        assert!(html.contains("action=\"/t/acme/tickets/42/topic\""));
        assert!(html.contains("id=\"f-topic-value\" name=\"value\""));
        assert!(!html.contains("/accept"));
        assert!(html.contains("Your move"));

        // Resolved: reopen and close, no reply or resolve.
        let mut d = detail(Status::Resolved);
        d.ticket.solution = Some("Replaced the **toner**.".into());
        let html = render(Lang::En, &d, supporter());
        assert!(html.contains("/reopen") && html.contains("/close"));
        assert!(!html.contains("/t/acme/tickets/42/reply") && !html.contains("/resolve\""));
        assert!(html.contains("<strong>toner</strong>"));

        // Closed: only reopen, note and delete.
        let html = render(Lang::En, &detail(Status::Closed), supporter());
        assert!(html.contains("/reopen") && !html.contains("/close\""));
        assert!(!html.contains("/assign\"") && !html.contains("/priority\""));
    }

    #[test]
    fn the_trash_is_for_tenant_admins() {
        let mut d = detail(Status::Open);
        d.ticket.deleted = Some((at("2025-03-10T11:00:00Z"), SUPPORTER));
        let html = render(Lang::En, &d, admin());
        assert!(html.contains("/restore") && html.contains("/purge"));
        assert!(!html.contains("/reply") && !html.contains("/note?") && !html.contains("/delete"));
        assert!(html.contains("In the trash"));
        let html = render(Lang::De, &d, supporter());
        assert!(!html.contains("/restore") && !html.contains("/purge"));
        assert!(html.contains("Nur ein Mandanten-Administrator"));
    }

    #[test]
    fn customers_reply_to_reopen_and_not_after_closing() {
        let html = render(Lang::En, &detail(Status::Resolved), customer());
        assert!(html.contains("/t/acme/tickets/42/reply?csrf="));
        assert!(html.contains("Your reply opens the request again."));
        let html = render(Lang::En, &detail(Status::Closed), customer());
        assert!(!html.contains("/reply"));
        assert!(!html.contains("sticky-reply"));
        assert!(html.contains("href=\"/t/acme/tickets/new\""));
    }

    #[test]
    fn errors_land_at_their_form_with_the_typed_text() {
        let c = user_ctx(Lang::En, Some(Role::Supporter));
        let mut errors = FormErrors::new();
        errors.add("body", "too_long");
        errors.add("action", "ticket.refused_status");
        let errors = errors.for_form("assign");
        let drafts = TicketDrafts {
            assign: crate::views::tickets::AssignForm {
                assignee: "30".into(),
                note: "please <b>look</b>".into(),
            },
            ..TicketDrafts::default()
        };
        let html = ticket_page_with(
            &c,
            now(),
            &detail(Status::Open),
            supporter(),
            &errors,
            Some("assigned"),
            &drafts,
        )
        .into_string();
        assert!(html.contains("href=\"#f-assign-note\""), "{html}");
        assert!(html.contains("This is not possible in the current status"));
        assert!(html.contains("please &lt;b&gt;look&lt;/b&gt;</textarea>"));
        assert!(html.contains("<option value=\"30\" selected>Ada Admin</option>"));
        assert!(html.contains("The ticket has been assigned."));
        assert_eq!(
            html.matches("class=\"field-error\"").count(),
            1,
            "only the assign form shows it"
        );
    }
}
