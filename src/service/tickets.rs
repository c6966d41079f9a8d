//! Tickets: reporting, the thread, and every action of the state machine. Each change is
//! one write transaction that updates the record, its indexes and counts, the history
//! and the search outbox together.

pub mod list;

use jiff::Timestamp;

use super::{Checks, ServiceError, ServiceResult, Services};
use crate::domain::caller::Caller;
use crate::domain::ids::{AccountId, PriorityId, TenantId, TopicId};
use crate::domain::read::TicketDetail;
use crate::domain::role::Role;
use crate::domain::ticket::{
    Action, Actor, Attachment, Change, HistoryEntry, Message, Status, Ticket, Visibility, decide,
};
use crate::domain::validate;
use crate::store::WriteTx;
use crate::store::access::Tx;
use crate::store::tickets::{self as store_tickets, TicketIndexKeys};
use crate::store::{StoreError, accounts as store_accounts, catalog as store_catalog};

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 50_000;

/// What a person reports (or a supporter files on a customer's behalf).
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    pub subject: String,
    pub body: String,
    pub topic: Option<TopicId>,
    /// Staff only: set when filing for a customer (a phone call).
    pub customer: Option<AccountId>,
    /// Staff only: filing for a customer may set the priority right away.
    pub priority: Option<PriorityId>,
    pub attachments: Vec<Attachment>,
}

/// A command on an existing ticket, as submitted by a form or the API.
#[derive(Debug, Clone)]
pub enum Command {
    Accept {
        priority: PriorityId,
        assignee: Option<AccountId>,
    },
    Assign {
        to: AccountId,
        note: String,
    },
    Reply {
        body: String,
        internal: bool,
        attachments: Vec<Attachment>,
    },
    SetPriority(PriorityId),
    SetTopic(Option<TopicId>),
    Resolve {
        solution: String,
    },
    Close,
    Reopen,
    Delete,
    Restore,
    Purge,
}

fn actor(caller: &Caller) -> Actor {
    Actor {
        account: caller.account,
        role: caller.role,
    }
}

/// The index facts storage needs besides the record: the priority's rank (for sorting)
/// and the customer's name (for sorting by customer).
pub(crate) fn index_keys(r: &impl Tx, ticket: &Ticket) -> Result<TicketIndexKeys, StoreError> {
    let priority_rank = match ticket.priority {
        Some(p) => store_catalog::get_priority(r, ticket.tenant, p)?
            .map(|p| p.rank)
            .unwrap_or(u32::MAX),
        None => u32::MAX,
    };
    let customer_name = store_accounts::get_account(r, ticket.customer)?
        .map(|a| a.name)
        .unwrap_or_default();
    Ok(TicketIndexKeys {
        priority_rank,
        customer_name,
    })
}

/// A ticket the caller may see: staff see every ticket of the tenant, customers only
/// their own; anything else is "not found".
pub(crate) fn visible_ticket(
    r: &impl Tx,
    caller: &Caller,
    number: u64,
) -> Result<Ticket, ServiceError> {
    let ticket =
        store_tickets::get_ticket(r, caller.tenant, number)?.ok_or(ServiceError::NotFound)?;
    let own = ticket.customer == caller.account || ticket.created_by == caller.account;
    if caller.role.is_staff() || (own && ticket.deleted.is_none()) {
        Ok(ticket)
    } else {
        Err(ServiceError::NotFound)
    }
}

fn check_member(
    r: &impl Tx,
    tenant: TenantId,
    account: AccountId,
    least: Role,
) -> Result<bool, StoreError> {
    Ok(store_accounts::get_membership(r, tenant, account)?
        .is_some_and(|m| !m.disabled && m.role.at_least(least)))
}

fn validate_text(checks: &mut Checks, field: &'static str, body: &str, required: bool) -> String {
    match validate::text(field, body, MAX_BODY_CHARS) {
        Ok(b) if required && b.is_empty() => {
            checks.fail(field, "required");
            b
        }
        Ok(b) => b,
        Err(e) => {
            checks.check::<()>(Err(e));
            String::new()
        }
    }
}

/// A refusal found inside a write transaction: the command's writes are left out of the
/// commit, and the person sees the message next to the field.
fn refuse<T>(field: &'static str, key: &'static str) -> Result<T, ServiceError> {
    Err(ServiceError::invalid(field, key))
}

impl Services {
    pub async fn create_ticket(&self, caller: &Caller, input: NewTicket) -> ServiceResult<Ticket> {
        let mut checks = Checks::default();
        let subject = checks
            .check(validate::name("subject", &input.subject, MAX_SUBJECT_CHARS))
            .unwrap_or_default();
        let body = validate_text(&mut checks, "body", &input.body, true);
        if !caller.role.is_staff() && (input.customer.is_some() || input.priority.is_some()) {
            checks.fail("customer", "invalid_choice");
        }
        checks.finish()?;
        let now = self.now();
        let caller = caller.clone();
        let ticket = self
            .store
            .write_checked(move |w| {
                let customer = input.customer.unwrap_or(caller.account);
                if !check_member(w, caller.tenant, customer, Role::Customer)? {
                    return refuse("customer", "invalid_choice");
                }
                if let Some(topic) = input.topic {
                    let usable = store_catalog::get_topic(w, caller.tenant, topic)?
                        .is_some_and(|t| t.active && !t.deleted);
                    if !usable {
                        return refuse("topic", "invalid_choice");
                    }
                }
                if let Some(p) = input.priority
                    && store_catalog::get_priority(w, caller.tenant, p)?.is_none()
                {
                    return refuse("priority", "invalid_choice");
                }
                let draft = Ticket {
                    tenant: caller.tenant,
                    number: 0,
                    subject: subject.clone(),
                    body: body.clone(),
                    customer,
                    created_by: caller.account,
                    assignee: None,
                    priority: input.priority,
                    topic: input.topic,
                    status: Status::New,
                    created_at: now,
                    updated_at: now,
                    waiting_since: now,
                    solution: None,
                    deleted: None,
                    message_count: 1,
                    attachment_count: input.attachments.len() as u32,
                };
                let keys = index_keys(w, &draft)?;
                // Tenant and number are filled in by the store once the number is drawn.
                let first_message = Message {
                    tenant: caller.tenant,
                    ticket: 0,
                    seq: 1,
                    author: caller.account,
                    visibility: Visibility::Public,
                    body: body.clone(),
                    attachments: input.attachments.clone(),
                    created_at: now,
                };
                let created = HistoryEntry {
                    tenant: caller.tenant,
                    ticket: 0,
                    seq: 1,
                    at: now,
                    actor: caller.account,
                    change: Change::Created {
                        on_behalf: customer != caller.account,
                    },
                };
                let ticket = store_tickets::create_ticket_with_thread(
                    w,
                    &draft,
                    &keys,
                    &first_message,
                    &created,
                )?;
                Ok(ticket)
            })
            .await?;
        self.notify(&ticket);
        Ok(ticket)
    }

    /// Applies one command; refused commands explain why and change nothing.
    pub async fn act(
        &self,
        caller: &Caller,
        number: u64,
        command: Command,
    ) -> ServiceResult<Ticket> {
        let mut checks = Checks::default();
        let text = match &command {
            Command::Reply { body, .. } => validate_text(&mut checks, "body", body, true),
            Command::Resolve { solution } => validate_text(&mut checks, "solution", solution, true),
            Command::Assign { note, .. } => validate_text(&mut checks, "body", note, false),
            _ => String::new(),
        };
        checks.finish()?;
        let now = self.now();
        let caller_c = caller.clone();
        let outcome = self
            .store
            .write_checked(move |w| apply(w, &caller_c, number, &command, &text, now))
            .await?;
        match outcome {
            Applied::Changed(ticket) => {
                self.notify(&ticket);
                Ok(ticket)
            }
            Applied::Purged(ticket, hashes) => {
                self.drop_unreferenced_blobs(ticket.tenant, hashes).await;
                self.notify(&ticket);
                Ok(ticket)
            }
        }
    }

    pub async fn ticket_view(&self, caller: &Caller, number: u64) -> ServiceResult<TicketDetail> {
        let caller = caller.clone();
        self.store
            .read_checked(move |r| {
                let ticket = visible_ticket(r, &caller, number)?;
                let staff_view = caller.role.is_staff();
                let account = |id: AccountId| store_accounts::get_account(r, id);
                let messages = store_tickets::list_messages(r, caller.tenant, number)?
                    .into_iter()
                    .filter(|m| staff_view || m.visibility == Visibility::Public)
                    .map(|m| Ok((account(m.author)?, m)))
                    .collect::<Result<Vec<_>, StoreError>>()?
                    .into_iter()
                    .map(|(a, m)| (m, a))
                    .collect();
                let history = store_tickets::list_history(r, caller.tenant, number)?
                    .into_iter()
                    .filter(|h| staff_view || !h.change.is_internal())
                    .map(|h| Ok((account(h.actor)?, h)))
                    .collect::<Result<Vec<_>, StoreError>>()?
                    .into_iter()
                    .map(|(a, h)| (h, a))
                    .collect();
                let staff = if staff_view {
                    let mut list = Vec::new();
                    for m in store_accounts::members_of_tenant(r, caller.tenant)? {
                        if m.role.is_staff()
                            && !m.disabled
                            && let Some(a) = account(m.account)?
                        {
                            list.push(a);
                        }
                    }
                    list.sort_by_key(|a| a.name.to_lowercase());
                    list
                } else {
                    Vec::new()
                };
                let mut topics = store_catalog::list_topics(r, caller.tenant)?;
                let topic = ticket
                    .topic
                    .and_then(|id| topics.iter().find(|t| t.id == id).cloned());
                topics.retain(|t| t.active && !t.deleted);
                let priorities = store_catalog::list_priorities(r, caller.tenant)?;
                let priority = ticket
                    .priority
                    .and_then(|id| priorities.iter().find(|p| p.id == id).cloned());
                Ok(TicketDetail {
                    customer: account(ticket.customer)?,
                    created_by: account(ticket.created_by)?,
                    assignee: ticket.assignee.map(account).transpose()?.flatten(),
                    priority,
                    topic,
                    messages,
                    history,
                    staff,
                    priorities,
                    topics,
                    ticket,
                })
            })
            .await
    }

    /// The attachment `index` of message `seq`, if the caller may see that message.
    pub async fn attachment(
        &self,
        caller: &Caller,
        number: u64,
        seq: u32,
        index: usize,
    ) -> ServiceResult<Attachment> {
        let caller = caller.clone();
        self.store
            .read_checked(move |r| {
                visible_ticket(r, &caller, number)?;
                let message = store_tickets::list_messages(r, caller.tenant, number)?
                    .into_iter()
                    .find(|m| m.seq == seq)
                    .ok_or(ServiceError::NotFound)?;
                if message.visibility == Visibility::Internal && !caller.role.is_staff() {
                    return Err(ServiceError::NotFound);
                }
                let attachment = message
                    .attachments
                    .get(index)
                    .cloned()
                    .ok_or(ServiceError::NotFound)?;
                if !store_tickets::tenant_has_blob(r, caller.tenant, &attachment.hash)? {
                    return Err(ServiceError::NotFound);
                }
                Ok(attachment)
            })
            .await
    }

    fn notify(&self, ticket: &Ticket) {
        // Nobody listening is fine: the event only speeds up pages that are open.
        let _ = self.events.send(super::TicketEvent {
            tenant: ticket.tenant,
            number: ticket.number,
        });
        self.indexer_wake.notify_one();
    }
}

enum Applied {
    Changed(Ticket),
    Purged(Ticket, Vec<[u8; 32]>),
}

fn history(
    w: &WriteTx,
    ticket: &Ticket,
    seq: u32,
    at: Timestamp,
    actor: AccountId,
    change: Change,
) -> Result<(), StoreError> {
    store_tickets::add_history(
        w,
        &HistoryEntry {
            tenant: ticket.tenant,
            ticket: ticket.number,
            seq,
            at,
            actor,
            change,
        },
    )
    .map(|_| ())
}

fn apply(
    w: &WriteTx,
    caller: &Caller,
    number: u64,
    command: &Command,
    text: &str,
    now: Timestamp,
) -> Result<Applied, ServiceError> {
    let before = visible_ticket(w, caller, number)?;
    let action = match command {
        Command::Accept { priority, assignee } => Action::Accept {
            assignee: assignee.unwrap_or(caller.account),
            priority: *priority,
        },
        Command::Assign { to, .. } => Action::Assign { to: *to },
        Command::Reply { internal, .. } => Action::Reply {
            visibility: if *internal {
                Visibility::Internal
            } else {
                Visibility::Public
            },
        },
        Command::SetPriority(p) => Action::ChangePriority { to: *p },
        Command::SetTopic(t) => Action::ChangeTopic { to: *t },
        Command::Resolve { .. } => Action::Resolve,
        Command::Close => Action::Close,
        Command::Reopen => Action::Reopen,
        Command::Delete => Action::Delete,
        Command::Restore => Action::Restore,
        Command::Purge => Action::Purge,
    };
    let outcome = match decide(&before, actor(caller), &action) {
        Ok(o) => o,
        Err(refusal) => return refuse("action", refusal.message_key()),
    };
    let mut after = before.clone();
    after.status = outcome.status;
    after.updated_at = now;
    if outcome.restarts_wait {
        after.waiting_since = now;
    }
    let mut changes: Vec<Change> = Vec::new();
    let mut new_message: Option<Message> = None;
    match command {
        Command::Accept { priority, .. } => {
            let Action::Accept { assignee, .. } = action else {
                return Err(ServiceError::Internal("accept without assignee".to_owned()));
            };
            if store_catalog::get_priority(w, caller.tenant, *priority)?.is_none() {
                return refuse("priority", "invalid_choice");
            }
            if !check_member(w, caller.tenant, assignee, Role::Supporter)? {
                return refuse("assignee", "invalid_choice");
            }
            after.priority = Some(*priority);
            after.assignee = Some(assignee);
            changes.push(Change::Accepted {
                assignee,
                priority: *priority,
            });
        }
        Command::Assign { to, .. } => {
            if !check_member(w, caller.tenant, *to, Role::Supporter)? {
                return refuse("assignee", "invalid_choice");
            }
            after.assignee = Some(*to);
            changes.push(Change::Assigned {
                from: before.assignee,
                to: *to,
            });
            if !text.is_empty() {
                new_message = Some(message(
                    &after,
                    caller.account,
                    Visibility::Internal,
                    text,
                    Vec::new(),
                    now,
                ));
            }
        }
        Command::Reply {
            internal,
            attachments,
            ..
        } => {
            let visibility = if *internal {
                Visibility::Internal
            } else {
                Visibility::Public
            };
            new_message = Some(message(
                &after,
                caller.account,
                visibility,
                text,
                attachments.clone(),
                now,
            ));
        }
        Command::SetPriority(p) => {
            if store_catalog::get_priority(w, caller.tenant, *p)?.is_none() {
                return refuse("priority", "invalid_choice");
            }
            after.priority = Some(*p);
            changes.push(Change::PriorityChanged {
                from: before.priority,
                to: *p,
            });
        }
        Command::SetTopic(t) => {
            if let Some(id) = t {
                let usable =
                    store_catalog::get_topic(w, caller.tenant, *id)?.is_some_and(|t| !t.deleted);
                if !usable {
                    return refuse("topic", "invalid_choice");
                }
            }
            after.topic = *t;
            changes.push(Change::TopicChanged {
                from: before.topic,
                to: *t,
            });
        }
        Command::Resolve { .. } => {
            after.solution = Some(text.to_owned());
            new_message = Some(message(
                &after,
                caller.account,
                Visibility::Public,
                text,
                Vec::new(),
                now,
            ));
            changes.push(Change::Resolved);
        }
        Command::Close => changes.push(Change::Closed),
        Command::Reopen => changes.push(Change::Reopened),
        Command::Delete => {
            after.deleted = Some((now, caller.account));
            changes.push(Change::Deleted);
        }
        Command::Restore => {
            after.deleted = None;
            changes.push(Change::Restored);
        }
        Command::Purge => {
            let hashes = store_tickets::purge_ticket(w, before.tenant, before.number)?;
            return Ok(Applied::Purged(before, hashes));
        }
    }
    if let Some(m) = &new_message {
        after.message_count += 1;
        after.attachment_count += m.attachments.len() as u32;
    }
    if before.status != after.status {
        changes.push(Change::StatusChanged {
            from: before.status,
            to: after.status,
        });
    }
    let keys = index_keys(w, &after)?;
    store_tickets::put_ticket(w, &before, &after, &keys)?;
    if let Some(m) = new_message {
        let stored = store_tickets::add_message(w, &m)?;
        let change = match stored.visibility {
            Visibility::Public => Change::Replied { seq: stored.seq },
            Visibility::Internal => Change::Noted { seq: stored.seq },
        };
        if !matches!(command, Command::Resolve { .. }) {
            changes.insert(0, change);
        }
    }
    for change in changes {
        // Storage assigns the history position; 0 is a placeholder.
        history(w, &after, 0, now, caller.account, change)?;
    }
    Ok(Applied::Changed(after))
}

fn message(
    ticket: &Ticket,
    author: AccountId,
    visibility: Visibility,
    body: &str,
    attachments: Vec<Attachment>,
    now: Timestamp,
) -> Message {
    Message {
        tenant: ticket.tenant,
        ticket: ticket.number,
        seq: 0,
        author,
        visibility,
        body: body.to_owned(),
        attachments,
        created_at: now,
    }
}
