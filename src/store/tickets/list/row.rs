//! The borrowed row view a listing tests candidates with, and the record reads behind it.

use redb::ReadableTable;
use serde::Deserialize;

use super::super::{StatusV1, Stored, decode_stored};
use crate::domain::ids::TenantId;
use crate::store::access::{self, BadValue};
use crate::store::error::StoreError;
use crate::store::tables::name;
use crate::store::tickets::indexes::{KeyParts, ticket_key};

/// The open `TICKETS` table, shared by a listing so a write transaction opens it once.
pub(super) trait TicketsTable: ReadableTable<&'static [u8], &'static [u8]> {}
impl<T: ReadableTable<&'static [u8], &'static [u8]>> TicketsTable for T {}

pub(super) trait SetIndex: ReadableTable<&'static [u8], ()> {}
impl<T: ReadableTable<&'static [u8], ()>> SetIndex for T {}

pub(super) fn load_from(
    tickets: &impl TicketsTable,
    tenant: TenantId,
    number: u64,
) -> Result<Option<Stored>, StoreError> {
    match tickets.get(ticket_key(tenant, number).as_bytes())? {
        Some(v) => Ok(Some(decode_stored(v.value())?)),
        None => Ok(None),
    }
}

/// The columns of a stored ticket that listings filter and sort by, read in place.
///
/// A listing tests many more tickets than it shows, and decoding each in full (body and
/// solution copied into fresh `String`s, UTF-8 checked) was most of the cost of a page at a
/// million tickets. This view mirrors `TicketV1` field by field (postcard stores fields by
/// position, without names) but takes text as borrowed bytes, which postcard lays out
/// exactly like `str`: a rejected ticket costs no allocation and no UTF-8 check. Only
/// the tickets a page shows are decoded in full. When the ticket record gains a version,
/// this view must learn it too; `row_view_reads_what_the_record_holds` fails until it does.
#[derive(Deserialize)]
enum RowRecord<'a> {
    #[serde(borrow)]
    V1(Row<'a>),
}

/// See [`RowRecord`]; fields a listing never looks at are only skipped over.
#[derive(Deserialize)]
pub(super) struct Row<'a> {
    pub(super) tenant: u64,
    pub(super) number: u64,
    _subject: &'a [u8],
    _body: &'a [u8],
    pub(super) customer: u64,
    _created_by: u64,
    pub(super) assignee: Option<u64>,
    pub(super) priority: Option<u64>,
    pub(super) topic: Option<u64>,
    pub(super) status: StatusV1,
    pub(super) created_at_ns: i128,
    pub(super) updated_at_ns: i128,
    pub(super) waiting_since_ns: i128,
    #[serde(borrow)]
    _solution: Option<&'a [u8]>,
    pub(super) deleted: Option<(i128, u64)>,
    _message_count: u32,
    _attachment_count: u32,
    pub(super) priority_rank: u32,
    pub(super) customer_name_key: &'a [u8],
}

fn corrupt_row(detail: String) -> StoreError {
    StoreError::Corrupt {
        table: name::TICKETS,
        detail,
    }
}

/// Reads the [`Row`] of a stored ticket, as strictly as the full decoding would.
pub(super) fn decode_row(bytes: &[u8]) -> Result<Row<'_>, StoreError> {
    let (record, rest) = postcard::take_from_bytes::<RowRecord<'_>>(bytes)
        .map_err(|e| corrupt_row(format!("undecodable record: {e}")))?;
    if !rest.is_empty() {
        return Err(corrupt_row(format!(
            "{} unexpected bytes after the record",
            rest.len()
        )));
    }
    match record {
        RowRecord::V1(row) => Ok(row),
    }
}

impl Row<'_> {
    /// The row's index-key columns; only listings sorted in memory need them.
    pub(super) fn key_parts(&self) -> Result<KeyParts<'_>, StoreError> {
        let time = |ns| access::timestamp(ns).map_err(|BadValue(d)| corrupt_row(d));
        Ok(KeyParts {
            tenant: self.tenant,
            number: self.number,
            status: self.status.into(),
            created_at: time(self.created_at_ns)?,
            updated_at: time(self.updated_at_ns)?,
            waiting_since: time(self.waiting_since_ns)?,
            priority_rank: self.priority_rank,
            customer_name: std::str::from_utf8(self.customer_name_key)
                .map_err(|e| corrupt_row(format!("customer name key: {e}")))?,
            priority: self.priority,
            customer: self.customer,
            assignee: self.assignee,
            topic: self.topic,
        })
    }
}

/// Whether a listing takes a ticket, judged from its [`Row`].
pub(super) type Accept<'a> = &'a dyn Fn(&Row<'_>) -> bool;

/// A ticket looked up for a listing.
// Returned by value and consumed at once: boxing the ticket would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(super) enum Looked {
    Missing,
    Rejected,
    Taken(Stored),
}

/// Reads ticket `number`; decodes it in full only if `accept` takes it.
pub(super) fn look_up(
    tickets: &impl TicketsTable,
    tenant: TenantId,
    number: u64,
    accept: Accept<'_>,
) -> Result<Looked, StoreError> {
    let Some(v) = tickets.get(ticket_key(tenant, number).as_bytes())? else {
        return Ok(Looked::Missing);
    };
    let bytes = v.value();
    if accept(&decode_row(bytes)?) {
        Ok(Looked::Taken(decode_stored(bytes)?))
    } else {
        Ok(Looked::Rejected)
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::super::ListQuery;
    use super::*;
    use crate::domain::ids::{AccountId, PriorityId, TopicId};
    use crate::domain::ticket::{Status, Ticket};
    use crate::store::record::encode_current;
    use crate::store::tickets::indexes::{Index, Snapshot};
    use crate::store::tickets::{TicketRecord, to_record};

    fn variants() -> Vec<(Ticket, Snapshot)> {
        let at = |us: i64| Timestamp::from_microsecond(us).unwrap();
        let plain = Ticket {
            tenant: TenantId(7),
            number: 300,
            subject: "Drucker \u{0} druckt nicht".into(),
            body: "Ä".repeat(2_000),
            customer: AccountId(11),
            created_by: AccountId(12),
            assignee: Some(AccountId(13)),
            priority: Some(PriorityId(4)),
            topic: Some(TopicId(5)),
            status: Status::Waiting,
            created_at: at(1_767_225_600_123_456),
            updated_at: at(1_767_225_700_000_001),
            waiting_since: at(1_767_225_650_000_000),
            solution: Some("neu gestartet".into()),
            deleted: None,
            message_count: 3,
            attachment_count: 2,
        };
        let mut bare = plain.clone();
        bare.subject = String::new();
        bare.body = String::new();
        bare.assignee = None;
        bare.priority = None;
        bare.topic = None;
        bare.solution = None;
        bare.status = Status::New;
        bare.created_at = at(-5_000_000);
        bare.number = u64::MAX;
        let mut trashed = plain.clone();
        trashed.deleted = Some((at(1_767_300_000_000_000), AccountId(2)));
        vec![
            (
                plain.clone(),
                Snapshot::new(&plain, 2, "  Müller\u{0}Anna "),
            ),
            (bare.clone(), Snapshot::new(&bare, 9, "")),
            (trashed.clone(), Snapshot::new(&trashed, u32::MAX, "x")),
        ]
    }

    #[test]
    fn row_view_reads_what_the_record_holds() {
        for (t, s) in variants() {
            let bytes = encode_current::<TicketRecord>(name::TICKETS, to_record(&t, &s)).unwrap();
            let row = decode_row(&bytes).unwrap();
            assert_eq!(row.key_parts().unwrap(), KeyParts::of(&t, &s));
            assert_eq!(row.deleted.is_some(), t.deleted.is_some());
            for index in Index::ALL {
                assert_eq!(
                    index.key_of(&row.key_parts().unwrap()),
                    index.key(&t, &s),
                    "{index:?}"
                );
            }
            let q = ListQuery {
                statuses: vec![t.status],
                customer: Some(t.customer),
                assignee: Some(t.assignee),
                priority: t.priority,
                topic: t.topic,
                created_from: Some(t.created_at),
                created_to: Some(
                    t.created_at
                        .checked_add(jiff::SignedDuration::from_nanos(1))
                        .unwrap(),
                ),
                ..ListQuery::default()
            };
            assert_eq!(
                q.matches(&row),
                t.deleted.is_none(),
                "the row matches itself"
            );
            let narrower = ListQuery {
                created_from: Some(
                    t.created_at
                        .checked_add(jiff::SignedDuration::from_nanos(1))
                        .unwrap(),
                ),
                ..q
            };
            assert!(!narrower.matches(&row));
        }
    }

    #[test]
    fn damaged_rows_are_refused_naming_the_table() {
        let (t, s) = variants().remove(0);
        let bytes = encode_current::<TicketRecord>(name::TICKETS, to_record(&t, &s)).unwrap();
        let mut longer = bytes.clone();
        longer.push(0);
        for bad in [&bytes[..bytes.len() / 2], &longer[..], &[9u8, 1, 2][..]] {
            let err = decode_row(bad).err().unwrap();
            assert!(
                matches!(
                    err,
                    StoreError::Corrupt {
                        table: name::TICKETS,
                        ..
                    }
                ),
                "{err}"
            );
        }
    }
}
