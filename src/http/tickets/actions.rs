//! The actions on a ticket's page: reply, note, accept, assign, priority, topic, resolve,
//! close, reopen, delete, restore, purge. Each builds one [`Attempt`] and lets [`run`]
//! answer like every form does.

use poem::http::StatusCode;
use poem::web::{Data, Form, Path};
use poem::{Response, handler};

use super::{errors_of, parse_id, read_upload, render_ticket, ticket_base};
use crate::app::AppState;
use crate::domain::ids::{AccountId, PriorityId, TopicId};
use crate::domain::validate::FieldError;
use crate::error::AppError;
use crate::http::respond::{see_other, with_done};
use crate::http::session::TenantCaller;
use crate::http::uploads::LimitedMultipart;
use crate::service::tickets::Command;
use crate::views::PageCtx;
use crate::views::forms::FormErrors;
use crate::views::tickets::data::{AcceptForm, AssignForm, ChoiceForm, ResolveForm, TicketDrafts};

/// One submitted ticket action: what to do, how to confirm it, and what to show again
/// (and in which form) if it is refused.
struct Attempt<'a> {
    number: u64,
    /// `Err(field)` when a required choice was left empty: nothing is sent to the service,
    /// and the page says so at that field.
    command: Result<Command, &'static str>,
    done: &'a str,
    drafts: TicketDrafts,
    form_name: &'a str,
}

impl<'a> Attempt<'a> {
    fn new(number: u64, form_name: &'a str, done: &'a str, command: Command) -> Attempt<'a> {
        Attempt {
            number,
            command: Ok(command),
            done,
            drafts: TicketDrafts::default(),
            form_name,
        }
    }

    /// Like [`Attempt::new`], for a command that needs the choice made in `field`.
    fn choice(
        number: u64,
        form_name: &'a str,
        done: &'a str,
        field: &'static str,
        command: Option<Command>,
    ) -> Attempt<'a> {
        Attempt {
            number,
            command: command.ok_or(field),
            done,
            drafts: TicketDrafts::default(),
            form_name,
        }
    }

    /// The values to show again if the action is refused.
    fn keeping(mut self, drafts: TicketDrafts) -> Attempt<'a> {
        self.drafts = drafts;
        self
    }
}

/// Runs a command and answers like every form: redirect on success, the page with the
/// message (and the typed text kept) on refusal.
async fn run(
    tc: &TenantCaller,
    ctx: &PageCtx,
    state: &AppState,
    a: Attempt<'_>,
) -> Result<Response, AppError> {
    let number = a.number;
    let command = match a.command {
        Ok(command) => command,
        Err(field) => {
            let errors = FormErrors::from_error(FieldError::new(field, "required"));
            let errors = errors.for_form(a.form_name);
            return render_ticket(tc, ctx, state, number, &errors, None, &a.drafts).await;
        }
    };
    let purging = matches!(command, Command::Purge);
    match state.services.act(&tc.caller, number, command).await {
        Ok(_) if purging => Ok(see_other(&with_done(
            &format!("{}/tickets?status=trash", ticket_base(tc)),
            a.done,
        ))),
        Ok(_) => Ok(see_other(&with_done(
            &format!("{}/tickets/{number}", ticket_base(tc)),
            a.done,
        ))),
        Err(e) => {
            let errors = errors_of(e)?.for_form(a.form_name);
            render_ticket(tc, ctx, state, number, &errors, None, &a.drafts).await
        }
    }
}

/// The drafts with `body` typed into the reply or the internal note.
fn typed(internal: bool, body: String) -> TicketDrafts {
    let mut drafts = TicketDrafts::default();
    if internal {
        drafts.note.body = body;
    } else {
        drafts.reply.body = body;
    }
    drafts
}

async fn reply_or_note(
    tc: TenantCaller,
    ctx: PageCtx,
    state: &AppState,
    number: u64,
    form: LimitedMultipart,
    internal: bool,
) -> Result<Response, AppError> {
    let form_name = if internal { "note" } else { "reply" };
    let upload = match read_upload(state, form).await? {
        Ok(u) => u,
        Err((errors, partial)) => {
            let drafts = typed(internal, partial.field("body").to_owned());
            let errors = errors.for_form(form_name);
            return render_ticket(&tc, &ctx, state, number, &errors, None, &drafts).await;
        }
    };
    let body = upload.field("body").to_owned();
    let drafts = typed(internal, body.clone());
    let files: Vec<[u8; 32]> = upload.files.iter().map(|f| f.hash).collect();
    let command = Command::Reply {
        body,
        internal,
        attachments: upload.files,
    };
    let done = if internal { "noted" } else { "replied" };
    let attempt = Attempt::new(number, form_name, done, command).keeping(drafts);
    let response = run(&tc, &ctx, state, attempt).await;
    if response
        .as_ref()
        .map(|r| r.status() != StatusCode::SEE_OTHER)
        .unwrap_or(true)
    {
        state.services.forget_unused_blobs(files).await;
    }
    response
}

#[handler]
pub async fn reply(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    form: LimitedMultipart,
) -> Result<Response, AppError> {
    reply_or_note(tc, ctx, &state, number, form, false).await
}

#[handler]
pub async fn note(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    form: LimitedMultipart,
) -> Result<Response, AppError> {
    reply_or_note(tc, ctx, &state, number, form, true).await
}

#[handler]
pub async fn accept(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Form(f): Form<AcceptForm>,
) -> Result<Response, AppError> {
    let command = parse_id(&f.priority).map(|priority| Command::Accept {
        priority: PriorityId(priority),
        assignee: parse_id(&f.assignee).map(AccountId),
    });
    let drafts = TicketDrafts {
        accept: f,
        ..TicketDrafts::default()
    };
    let attempt = Attempt::choice(number, "accept", "accepted", "priority", command);
    run(&tc, &ctx, &state, attempt.keeping(drafts)).await
}

#[handler]
pub async fn assign(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Form(f): Form<AssignForm>,
) -> Result<Response, AppError> {
    let command = parse_id(&f.assignee).map(|to| Command::Assign {
        to: AccountId(to),
        note: f.note.clone(),
    });
    let drafts = TicketDrafts {
        assign: f,
        ..TicketDrafts::default()
    };
    let attempt = Attempt::choice(number, "assign", "assigned", "assignee", command);
    run(&tc, &ctx, &state, attempt.keeping(drafts)).await
}

#[handler]
pub async fn set_priority(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Form(f): Form<ChoiceForm>,
) -> Result<Response, AppError> {
    let command = parse_id(&f.value).map(|p| Command::SetPriority(PriorityId(p)));
    let attempt = Attempt::choice(number, "priority", "priority_changed", "priority", command);
    run(&tc, &ctx, &state, attempt).await
}

#[handler]
pub async fn set_topic(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Form(f): Form<ChoiceForm>,
) -> Result<Response, AppError> {
    // An empty choice clears the topic.
    let command = Command::SetTopic(parse_id(&f.value).map(TopicId));
    let attempt = Attempt::new(number, "topic", "topic_changed", command);
    run(&tc, &ctx, &state, attempt).await
}

#[handler]
pub async fn resolve(
    tc: TenantCaller,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path((_, number)): Path<(String, u64)>,
    Form(f): Form<ResolveForm>,
) -> Result<Response, AppError> {
    let command = Command::Resolve {
        solution: f.solution.clone(),
    };
    let drafts = TicketDrafts {
        resolve: f,
        ..TicketDrafts::default()
    };
    let attempt = Attempt::new(number, "resolve", "resolved", command);
    run(&tc, &ctx, &state, attempt.keeping(drafts)).await
}

macro_rules! simple_action {
    ($name:ident, $command:expr, $done:literal) => {
        #[handler]
        pub async fn $name(
            tc: TenantCaller,
            ctx: PageCtx,
            state: Data<&AppState>,
            Path((_, number)): Path<(String, u64)>,
        ) -> Result<Response, AppError> {
            let attempt = Attempt::new(number, stringify!($name), $done, $command);
            run(&tc, &ctx, &state, attempt).await
        }
    };
}

simple_action!(close, Command::Close, "closed");
simple_action!(reopen, Command::Reopen, "reopened");
simple_action!(delete, Command::Delete, "deleted_ticket");
simple_action!(restore, Command::Restore, "restored");
simple_action!(purge, Command::Purge, "purged");
