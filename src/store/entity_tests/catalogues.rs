//! Priorities and topics: per-tenant ids, ordering, isolation.

use super::{new_tenant, open, read, write};
use crate::domain::ids::{PriorityId, TenantId, TopicId};
use crate::store::{StoreError, catalog};

#[test]
fn priorities_are_per_tenant_and_ordered_by_rank_then_name() {
    let (_dir, store) = open();
    let (t1, t2) = (new_tenant(&store, "one").id, new_tenant(&store, "two").id);
    let created = write(&store, move |w| {
        let low = catalog::create_priority(w, t1, "low", "#00aa00", 30, None)?;
        let urgent = catalog::create_priority(w, t1, "Urgent", "#ff0000", 10, Some(60))?;
        let high = catalog::create_priority(w, t1, "high", "#ffaa00", 10, Some(240))?;
        let other = catalog::create_priority(w, t2, "Other", "#0000ff", 1, None)?;
        Ok((low, urgent, high, other))
    })
    .unwrap();
    let (low, urgent, mut high, other) = created;
    assert_eq!(
        (low.id, urgent.id, high.id),
        (PriorityId(1), PriorityId(2), PriorityId(3))
    );
    assert_eq!(other.id, PriorityId(1), "ids count per tenant");
    assert_eq!(
        read(&store, |r| catalog::list_priorities(r, t1)),
        vec![high.clone(), urgent.clone(), low.clone()]
    );
    assert_eq!(
        read(&store, |r| catalog::list_priorities(r, t2)),
        vec![other.clone()]
    );
    assert_eq!(
        read(&store, |r| catalog::get_priority(r, t2, urgent.id)),
        None
    );
    assert_eq!(
        read(&store, |r| catalog::get_priority(r, t1, low.id)),
        Some(low.clone())
    );

    high.rank = 50;
    let h = high.clone();
    write(&store, move |w| catalog::put_priority(w, &h)).unwrap();
    let uid = urgent.id;
    write(&store, move |w| catalog::delete_priority(w, t1, uid)).unwrap();
    assert_eq!(
        read(&store, |r| catalog::list_priorities(r, t1)),
        vec![low, high]
    );
    let again = write(&store, move |w| catalog::delete_priority(w, t1, uid));
    assert!(matches!(again, Err(StoreError::NotFound)));
    let stale = urgent;
    assert!(matches!(
        write(&store, move |w| catalog::put_priority(w, &stale)),
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        write(&store, move |w| catalog::create_priority(
            w,
            TenantId(9),
            "x",
            "#000000",
            1,
            None
        )),
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        read(&store, |r| catalog::list_priorities(r, t2)),
        vec![other]
    );
}

#[test]
fn topics_are_per_tenant_and_listed_by_name_ignoring_case() {
    let (_dir, store) = open();
    let (t1, t2) = (new_tenant(&store, "one").id, new_tenant(&store, "two").id);
    let (printer, mut access, network, foreign) = write(&store, move |w| {
        Ok((
            catalog::create_topic(w, t1, "printer", "Paper jams")?,
            catalog::create_topic(w, t1, "Access", "Badges and doors")?,
            catalog::create_topic(w, t1, "Network", "")?,
            catalog::create_topic(w, t2, "Elsewhere", "")?,
        ))
    })
    .unwrap();
    assert!(printer.active && !printer.deleted);
    assert_eq!(foreign.id, TopicId(1));
    access.deleted = true;
    access.active = false;
    let a = access.clone();
    write(&store, move |w| catalog::put_topic(w, &a)).unwrap();
    assert_eq!(
        read(&store, |r| catalog::list_topics(r, t1)),
        vec![access.clone(), network, printer]
    );
    assert_eq!(read(&store, |r| catalog::list_topics(r, t2)), vec![foreign]);
    assert_eq!(
        read(&store, |r| catalog::get_topic(r, t1, access.id)),
        Some(access)
    );
    assert_eq!(
        read(&store, |r| catalog::get_topic(r, t2, TopicId(2))),
        None
    );
}
