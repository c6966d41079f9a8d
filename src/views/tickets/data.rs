//! The values of the ticket forms and list filters as submitted. Every field is a string
//! so a form shown again after an error keeps exactly what was typed; the http layer
//! parses and validates them.

use serde::Deserialize;

/// A customer reporting a problem (`/t/{slug}/tickets/new`); `topic` is a topic id or
/// empty.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct NewTicketForm {
    pub subject: String,
    pub body: String,
    pub topic: String,
}

/// A supporter filing a ticket for a customer (`/t/{slug}/tickets/new-for-customer`).
/// `customer_id` is the picked account id; when it is empty, `new_*` describe a customer
/// to create. `customer_q` is the picker's search text.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct NewForCustomerForm {
    pub customer_q: String,
    pub customer_id: String,
    pub new_name: String,
    pub new_email: String,
    pub new_phone: String,
    pub priority: String,
    pub topic: String,
    pub subject: String,
    pub body: String,
}

/// A public reply or an internal note.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ReplyForm {
    pub body: String,
}

/// Accepting a new request: priority id and assignee account id.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    pub priority: String,
    pub assignee: String,
}

/// Assigning or forwarding to a colleague, with an optional note.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AssignForm {
    pub assignee: String,
    pub note: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ResolveForm {
    pub solution: String,
}

/// Changing priority or topic: the chosen id (empty topic = none).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ChoiceForm {
    pub value: String,
}

/// Ticket management's filter and sort state, straight from the query string.
/// `status` is a status code (or `trash` for tenant admins), `mine` is non-empty when
/// ticked, `from`/`to` are `YYYY-MM-DD`, `sort` one of number|created|updated|customer|
/// status|priority, `dir` asc|desc, `after` an opaque cursor.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ListFilter {
    pub q: String,
    pub status: String,
    pub number: String,
    pub customer: String,
    pub priority: String,
    pub assignee: String,
    pub mine: String,
    pub topic: String,
    pub from: String,
    pub to: String,
    pub sort: String,
    pub dir: String,
    pub after: String,
}

/// "My requests" filter and sort state; `sort` one of number|created|updated|status.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct MyFilter {
    pub status: String,
    pub q: String,
    pub number: String,
    pub sort: String,
    pub dir: String,
    pub after: String,
}

/// What was typed into the ticket page's forms, shown again after an error so nothing
/// is lost. The form the errors belong to is named with `FormErrors::for_form`.
#[derive(Debug, Default, Clone)]
pub struct TicketDrafts {
    pub reply: ReplyForm,
    pub note: ReplyForm,
    pub accept: AcceptForm,
    pub assign: AssignForm,
    pub resolve: ResolveForm,
    pub priority: ChoiceForm,
    pub topic: ChoiceForm,
}
