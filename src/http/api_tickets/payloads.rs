//! The JSON shapes of the ticket API: what it answers and what it accepts, as the
//! OpenAPI document describes them.

use poem_openapi::Object;

use crate::domain::read::{TicketDetail, TicketRow};
use crate::domain::ticket::Visibility;

#[derive(Debug, Object)]
pub struct AttachmentOut {
    pub name: String,
    pub mime: String,
    pub size: u64,
    /// Download path (relative to the API base).
    pub href: String,
}

#[derive(Debug, Object)]
pub struct MessageOut {
    pub seq: u32,
    pub author_id: u64,
    pub author_name: String,
    /// public or internal (internal only ever reaches staff)
    pub visibility: String,
    pub body: String,
    pub created_at: String,
    pub attachments: Vec<AttachmentOut>,
}

#[derive(Debug, Object)]
pub struct TicketOut {
    pub number: u64,
    pub subject: String,
    /// new, open, waiting, resolved or closed
    pub status: String,
    pub customer_id: u64,
    pub customer_name: String,
    #[oai(nullable)]
    pub assignee_id: Option<u64>,
    #[oai(nullable)]
    pub assignee_name: Option<String>,
    #[oai(nullable)]
    pub priority_id: Option<u64>,
    #[oai(nullable)]
    pub priority_name: Option<String>,
    #[oai(nullable)]
    pub topic_id: Option<u64>,
    pub created_at: String,
    pub updated_at: String,
    pub in_trash: bool,
}

#[derive(Debug, Object)]
pub struct TicketDetailOut {
    pub ticket: TicketOut,
    pub body: String,
    #[oai(nullable)]
    pub solution: Option<String>,
    pub messages: Vec<MessageOut>,
}

#[derive(Debug, Object)]
pub struct TicketListOut {
    pub tickets: Vec<TicketOut>,
    /// Pass as `after` for the next page.
    #[oai(nullable)]
    pub next: Option<String>,
    pub truncated: bool,
}

pub(super) fn ticket_out(row: &TicketRow) -> TicketOut {
    let t = &row.ticket;
    TicketOut {
        number: t.number,
        subject: t.subject.clone(),
        status: t.status.code().to_owned(),
        customer_id: t.customer.0,
        customer_name: row.customer_name.clone(),
        assignee_id: t.assignee.map(|a| a.0),
        assignee_name: row.assignee_name.clone(),
        priority_id: t.priority.map(|p| p.0),
        priority_name: row.priority.as_ref().map(|p| p.name.clone()),
        topic_id: t.topic.map(|x| x.0),
        created_at: t.created_at.to_string(),
        updated_at: t.updated_at.to_string(),
        in_trash: t.deleted.is_some(),
    }
}

pub(super) fn detail_out(slug: &str, d: TicketDetail) -> TicketDetailOut {
    let row = TicketRow {
        customer_name: d
            .customer
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_default(),
        assignee_name: d.assignee.as_ref().map(|a| a.name.clone()),
        priority: d.priority.clone(),
        topic_name: d.topic.as_ref().map(|t| t.name.clone()),
        ticket: d.ticket.clone(),
    };
    let number = d.ticket.number;
    TicketDetailOut {
        ticket: ticket_out(&row),
        body: d.ticket.body.clone(),
        solution: d.ticket.solution.clone(),
        messages: d
            .messages
            .into_iter()
            .map(|(m, author)| MessageOut {
                seq: m.seq,
                author_id: m.author.0,
                author_name: author.map(|a| a.name).unwrap_or_default(),
                visibility: match m.visibility {
                    Visibility::Public => "public".to_owned(),
                    Visibility::Internal => "internal".to_owned(),
                },
                body: m.body,
                created_at: m.created_at.to_string(),
                attachments: m
                    .attachments
                    .iter()
                    .enumerate()
                    .map(|(i, a)| AttachmentOut {
                        name: a.name.clone(),
                        mime: a.mime.clone(),
                        size: a.size,
                        href: format!("/t/{slug}/tickets/{number}/files/{}/{i}", m.seq),
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[derive(Debug, Object)]
pub struct NewTicketIn {
    pub subject: String,
    /// Markdown.
    pub body: String,
    pub topic_id: Option<u64>,
    /// Staff only: file the ticket for this customer.
    pub customer_id: Option<u64>,
    /// Staff only.
    pub priority_id: Option<u64>,
    /// Ids returned by the upload endpoint.
    #[oai(default)]
    pub attachments: Vec<String>,
}

#[derive(Debug, Object)]
pub struct ReplyIn {
    pub body: String,
    /// Staff only: an internal note instead of a public reply.
    #[oai(default)]
    pub internal: bool,
    #[oai(default)]
    pub attachments: Vec<String>,
}

#[derive(Debug, Object)]
pub struct AcceptIn {
    pub priority_id: u64,
    /// Defaults to the caller.
    pub assignee_id: Option<u64>,
}

#[derive(Debug, Object)]
pub struct AssignIn {
    pub assignee_id: u64,
    #[oai(default)]
    pub note: String,
}

#[derive(Debug, Object)]
pub struct ResolveIn {
    pub solution: String,
}

#[derive(Debug, Object)]
pub struct UploadOut {
    /// Reference this id in `attachments` of a new ticket or reply within an hour.
    pub id: String,
    pub name: String,
    pub mime: String,
    pub size: u64,
}

#[derive(Debug, Object)]
pub struct HitOut {
    pub number: u64,
    pub subject: String,
    pub status: String,
    /// Set when the match is in a message of the thread.
    #[oai(nullable)]
    pub message_seq: Option<u32>,
    pub snippet: String,
}

#[derive(Debug, Object)]
pub struct SearchOut {
    pub hits: Vec<HitOut>,
    /// The index is being rebuilt; results may be incomplete.
    pub rebuilding: bool,
}
