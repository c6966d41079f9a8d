//! The action forms of the ticket page: only what the state machine allows the viewer now.

use maud::{Markup, html};

use super::super::data::TicketDrafts;
use super::super::{error_text, files_field, labelled_select};
use crate::domain::ids::PriorityId;
use crate::domain::read::TicketDetail;
use crate::domain::role::Role;
use crate::domain::ticket::{Action, Actor, Status, Visibility, decide};
use crate::views::PageCtx;
use crate::views::forms::{FieldOpts, FormErrors, action_button, csrf_field, textarea_with};
use crate::views::parts::tenant_base;

/// What the viewer may do now, asked of the state machine so the page never offers an
/// action the service would refuse.
pub(super) struct Allowed {
    pub(super) accept: bool,
    pub(super) assign: bool,
    pub(super) reply: bool,
    pub(super) note: bool,
    pub(super) priority: bool,
    pub(super) topic: bool,
    pub(super) resolve: bool,
    pub(super) close: bool,
    pub(super) reopen: bool,
    pub(super) delete: bool,
    pub(super) restore: bool,
    pub(super) purge: bool,
}

impl Allowed {
    pub(super) fn of(d: &TicketDetail, viewer: Actor) -> Allowed {
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

pub(super) fn actions<'e>(
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
                    form method="post" enctype="multipart/form-data" action={ (url) "/reply" } data-attach {
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
                    form method="post" enctype="multipart/form-data" action={ (url) "/note" } data-attach {
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
