//! Tickets and their state machine (docs/tickets.md): who may do what in which status,
//! and what each action changes. Pure: storage and services apply the outcome.

pub mod list;

use jiff::Timestamp;

use super::ids::{AccountId, PriorityId, TenantId, TopicId};
use super::role::Role;

/// Where a ticket stands, and so whose move it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Created, nobody accepted it yet (tab "New requests").
    New,
    /// Accepted; support owes the next step (tab "Customer waiting").
    Open,
    /// Support answered or asked; the customer owes the next step (tab "Support waiting").
    Waiting,
    /// A solution was given; a customer reply reopens it.
    Resolved,
    /// Final.
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::Open,
        Status::Waiting,
        Status::Resolved,
        Status::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Waiting => "waiting",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// A stable one-byte form for storage keys.
    pub fn as_u8(self) -> u8 {
        match self {
            Status::New => 0,
            Status::Open => 1,
            Status::Waiting => 2,
            Status::Resolved => 3,
            Status::Closed => 4,
        }
    }

    pub fn from_u8(b: u8) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_u8() == b)
    }

    /// The supporter tab a ticket in this status belongs to.
    pub fn tab(self) -> Option<Tab> {
        match self {
            Status::New => Some(Tab::New),
            Status::Open => Some(Tab::CustomerWaiting),
            Status::Waiting => Some(Tab::SupportWaiting),
            Status::Resolved | Status::Closed => None,
        }
    }

    pub fn is_final(self) -> bool {
        self == Status::Closed
    }
}

/// The three working tabs of the supporter queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    New,
    CustomerWaiting,
    SupportWaiting,
}

impl Tab {
    pub const ALL: [Tab; 3] = [Tab::New, Tab::CustomerWaiting, Tab::SupportWaiting];

    pub fn status(self) -> Status {
        match self {
            Tab::New => Status::New,
            Tab::CustomerWaiting => Status::Open,
            Tab::SupportWaiting => Status::Waiting,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Tab::New => "new",
            Tab::CustomerWaiting => "customer-waiting",
            Tab::SupportWaiting => "support-waiting",
        }
    }

    pub fn parse(code: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// A ticket as the program sees it. `number` is sequential per tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub tenant: TenantId,
    pub number: u64,
    pub subject: String,
    /// Markdown as written.
    pub body: String,
    /// The person the ticket is for (the requester).
    pub customer: AccountId,
    /// Who typed it in: the customer, or a supporter on their behalf.
    pub created_by: AccountId,
    pub assignee: Option<AccountId>,
    pub priority: Option<PriorityId>,
    pub topic: Option<TopicId>,
    pub status: Status,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Since when the side that owes the next step has been waiting ("hot" sorting).
    pub waiting_since: Timestamp,
    pub solution: Option<String>,
    /// In the trash: when and by whom. Trashed tickets leave every tab and list.
    pub deleted: Option<(Timestamp, AccountId)>,
    pub message_count: u32,
    pub attachment_count: u32,
}

/// Whether a thread entry reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    /// Internal notes never reach a customer through any channel.
    Internal,
}

/// Something a person does to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Accept {
        assignee: AccountId,
        priority: PriorityId,
    },
    Assign {
        to: AccountId,
    },
    Reply {
        visibility: Visibility,
    },
    ChangePriority {
        to: PriorityId,
    },
    ChangeTopic {
        to: Option<TopicId>,
    },
    Resolve,
    Close,
    Reopen,
    Delete,
    Restore,
    Purge,
}

impl Action {
    pub fn code(&self) -> &'static str {
        match self {
            Action::Accept { .. } => "accept",
            Action::Assign { .. } => "assign",
            Action::Reply {
                visibility: Visibility::Public,
            } => "reply",
            Action::Reply {
                visibility: Visibility::Internal,
            } => "note",
            Action::ChangePriority { .. } => "priority",
            Action::ChangeTopic { .. } => "topic",
            Action::Resolve => "resolve",
            Action::Close => "close",
            Action::Reopen => "reopen",
            Action::Delete => "delete",
            Action::Restore => "restore",
            Action::Purge => "purge",
        }
    }
}

/// Who acts: their role in the tenant, and whether they are the ticket's customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub account: AccountId,
    pub role: Role,
}

/// Why an action is refused; each maps to a message the person sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not allowed for this role")]
    NotAllowed,
    #[error("not possible in this status")]
    WrongStatus,
    #[error("the ticket is in the trash")]
    InTrash,
    #[error("the ticket is not in the trash")]
    NotInTrash,
}

impl Refusal {
    pub fn message_key(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "ticket.refused_role",
            Refusal::WrongStatus => "ticket.refused_status",
            Refusal::InTrash => "ticket.refused_trash",
            Refusal::NotInTrash => "ticket.refused_not_trash",
        }
    }
}

/// What an allowed action does to the ticket's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    /// Whether the clock of "who waits since when" restarts.
    pub restarts_wait: bool,
}

/// Decides an action. Customers act only on their own tickets: a customer touching
/// someone else's ticket never gets here (the service answers 404 before).
pub fn decide(ticket: &Ticket, actor: Actor, action: &Action) -> Result<Outcome, Refusal> {
    let staff = actor.role.is_staff();
    let admin = actor.role == Role::TenantAdmin;
    let status = ticket.status;
    let keep = Outcome {
        status,
        restarts_wait: false,
    };
    let to = |status| Outcome {
        status,
        restarts_wait: true,
    };
    if ticket.deleted.is_some() {
        return match action {
            Action::Restore | Action::Purge if admin => Ok(keep),
            Action::Restore | Action::Purge => Err(Refusal::NotAllowed),
            _ => Err(Refusal::InTrash),
        };
    }
    match action {
        Action::Restore | Action::Purge => {
            if admin {
                Err(Refusal::NotInTrash)
            } else {
                Err(Refusal::NotAllowed)
            }
        }
        Action::Accept { .. } => match (staff, status) {
            (false, _) => Err(Refusal::NotAllowed),
            (true, Status::New) => Ok(to(Status::Open)),
            _ => Err(Refusal::WrongStatus),
        },
        Action::Assign { .. } | Action::ChangePriority { .. } | Action::ChangeTopic { .. } => {
            match (staff, status) {
                (false, _) => Err(Refusal::NotAllowed),
                (true, Status::Closed) => Err(Refusal::WrongStatus),
                (true, _) => Ok(keep),
            }
        }
        Action::Reply {
            visibility: Visibility::Internal,
        } => {
            if staff {
                Ok(keep)
            } else {
                Err(Refusal::NotAllowed)
            }
        }
        Action::Reply {
            visibility: Visibility::Public,
        } => {
            if staff && actor.account != ticket.customer {
                match status {
                    Status::Open => Ok(to(Status::Waiting)),
                    Status::Waiting => Ok(keep),
                    Status::New | Status::Resolved | Status::Closed => Err(Refusal::WrongStatus),
                }
            } else {
                // The requester (a customer, or staff filing their own ticket) answering.
                match status {
                    Status::Waiting | Status::Resolved => Ok(to(Status::Open)),
                    Status::New | Status::Open => Ok(keep),
                    Status::Closed => Err(Refusal::WrongStatus),
                }
            }
        }
        Action::Resolve => match (staff, status) {
            (false, _) => Err(Refusal::NotAllowed),
            (true, Status::New | Status::Open | Status::Waiting) => Ok(to(Status::Resolved)),
            _ => Err(Refusal::WrongStatus),
        },
        Action::Close => match (staff, status) {
            (false, _) => Err(Refusal::NotAllowed),
            (true, Status::Closed) => Err(Refusal::WrongStatus),
            (true, _) => Ok(to(Status::Closed)),
        },
        Action::Reopen => match (staff, status) {
            (false, _) => Err(Refusal::NotAllowed),
            (true, Status::Resolved | Status::Closed) => Ok(to(Status::Open)),
            _ => Err(Refusal::WrongStatus),
        },
        Action::Delete => {
            if staff {
                Ok(keep)
            } else {
                Err(Refusal::NotAllowed)
            }
        }
    }
}

/// What the customer reads for a status (docs/ui.md, "Vocabulary").
pub fn customer_label_key(status: Status) -> &'static str {
    match status {
        Status::New => "status.customer.new",
        Status::Open => "status.customer.open",
        Status::Waiting => "status.customer.waiting",
        Status::Resolved => "status.customer.resolved",
        Status::Closed => "status.customer.closed",
    }
}

/// A stored file attached to a message. The blob is found by its content hash, but only
/// through the message that references it, so knowing a hash reaches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// SHA-256 of the content.
    pub hash: [u8; 32],
    /// The uploader's file name, cleaned; shown and used for downloads, never as a path.
    pub name: String,
    /// Detected from the content (magic bytes), not from the upload's claim.
    pub mime: String,
    pub size: u64,
}

impl Attachment {
    /// Raster images shown inline and as thumbnails; everything else downloads.
    pub fn is_inline_image(&self) -> bool {
        matches!(
            self.mime.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        )
    }
}

/// One entry of a ticket's thread ("previous correspondence").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub tenant: TenantId,
    pub ticket: u64,
    /// 1-based position in the thread; the ticket's own description is not a message.
    pub seq: u32,
    pub author: AccountId,
    pub visibility: Visibility,
    /// Markdown as written.
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub created_at: Timestamp,
}

/// A recorded change, for the ticket's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Created {
        on_behalf: bool,
    },
    Accepted {
        assignee: AccountId,
        priority: PriorityId,
    },
    Assigned {
        from: Option<AccountId>,
        to: AccountId,
    },
    StatusChanged {
        from: Status,
        to: Status,
    },
    PriorityChanged {
        from: Option<PriorityId>,
        to: PriorityId,
    },
    TopicChanged {
        from: Option<TopicId>,
        to: Option<TopicId>,
    },
    Replied {
        seq: u32,
    },
    Noted {
        seq: u32,
    },
    Resolved,
    Closed,
    Reopened,
    Deleted,
    Restored,
}

impl Change {
    /// Internal changes (notes) are hidden from customers like the notes themselves.
    pub fn is_internal(&self) -> bool {
        matches!(self, Change::Noted { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub tenant: TenantId,
    pub ticket: u64,
    pub seq: u32,
    pub at: Timestamp,
    pub actor: AccountId,
    pub change: Change,
}

#[cfg(test)]
mod tests;
