//! Tests of the entity modules through a real `Store`: tenants, accounts, memberships,
//! settings and decoding here; catalogues in [`catalogues`]; sessions, tokens, invitations and
//! audit in [`activity`].

mod activity;
mod catalogues;

use crate::store::{ReadTx, WriteTx};
use jiff::Timestamp;
use redb::TableHandle;

use super::access::RecordTable;
use super::accounts::{self, NewAccount};
use super::settings;
use super::tables::{self, name};
use super::tenants;
use super::{Store, StoreError};
use crate::domain::accounts::{Account, Membership};
use crate::domain::ids::{AccountId, TenantId};
use crate::domain::lang::Lang;
use crate::domain::role::Role;
use crate::domain::settings::InstanceSettings;
use crate::domain::tenants::Tenant;

pub(super) fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("supportbox.redb")).unwrap();
    (dir, store)
}

pub(super) fn at(second: i64) -> Timestamp {
    // A nanosecond part proves timestamps are stored exactly.
    Timestamp::new(1_767_225_600 + second, 123_456_789).unwrap()
}

pub(super) fn write<R: Send + 'static>(
    store: &Store,
    f: impl FnMut(&WriteTx) -> Result<R, StoreError> + Send + 'static,
) -> Result<R, StoreError> {
    store.write_blocking(f)
}

pub(super) fn read<R>(store: &Store, f: impl FnOnce(&ReadTx) -> Result<R, StoreError>) -> R {
    store.read_blocking(f).unwrap()
}

pub(super) fn new_tenant(store: &Store, slug: &str) -> Tenant {
    let slug = slug.to_owned();
    write(store, move |w| {
        tenants::create_tenant(w, &slug, &slug.to_uppercase(), 0, at(0))
    })
    .unwrap()
}

pub(super) fn new_account(store: &Store, email: &str, operator: bool) -> Account {
    let new = NewAccount {
        email: email.to_owned(),
        name: format!("Name of {email}"),
        phone: "+49 30 1234".into(),
        lang: Some(Lang::De),
        password_hash: "$argon2id$stub".into(),
        must_change_password: true,
        operator,
    };
    write(store, move |w| {
        accounts::create_account(w, new.clone(), at(1))
    })
    .unwrap()
}

fn is_conflict(result: Result<impl std::fmt::Debug, StoreError>, what: &str) -> bool {
    matches!(result, Err(StoreError::Conflict(ref w)) if w == what)
}

#[test]
fn tenants_round_trip_and_list_by_slug() {
    let (_dir, store) = open();
    let zeta = new_tenant(&store, "zeta");
    let acme = new_tenant(&store, "acme");
    assert_eq!(zeta.id, TenantId(1), "ids start at 1; 0 is the instance");
    assert_eq!(acme.id, TenantId(2));
    assert_eq!(
        read(&store, |r| tenants::get_tenant(r, acme.id)),
        Some(acme.clone())
    );
    assert_eq!(
        read(&store, |r| tenants::tenant_by_slug(r, "zeta")),
        Some(zeta.clone())
    );
    assert_eq!(read(&store, |r| tenants::tenant_by_slug(r, "nope")), None);
    assert_eq!(
        read(&store, |r| tenants::get_tenant(r, TenantId::INSTANCE)),
        None
    );
    assert_eq!(read(&store, tenants::list_tenants), vec![acme, zeta]);
}

#[test]
fn duplicate_slug_is_a_conflict_and_stores_nothing() {
    let (_dir, store) = open();
    new_tenant(&store, "acme");
    let again = write(&store, |w| {
        tenants::create_tenant(w, "acme", "Other", 5, at(9))
    });
    assert!(is_conflict(again, "slug"));
    let all = read(&store, tenants::list_tenants);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name, "ACME");
    // The failed create did not consume an id either.
    assert_eq!(new_tenant(&store, "beta").id, TenantId(2));
}

#[test]
fn renaming_and_reslugging_a_tenant_keeps_lookups_right() {
    let (_dir, store) = open();
    let mut acme = new_tenant(&store, "acme");
    new_tenant(&store, "beta");
    acme.name = "Acme Corporation".into();
    acme.suspended = true;
    acme.licence_limit = 25;
    let t = acme.clone();
    write(&store, move |w| tenants::put_tenant(w, &t)).unwrap();
    assert_eq!(
        read(&store, |r| tenants::tenant_by_slug(r, "acme")),
        Some(acme.clone())
    );

    acme.slug = "acme-corp".into();
    let t = acme.clone();
    write(&store, move |w| tenants::put_tenant(w, &t)).unwrap();
    assert_eq!(read(&store, |r| tenants::tenant_by_slug(r, "acme")), None);
    assert_eq!(
        read(&store, |r| tenants::tenant_by_slug(r, "acme-corp")),
        Some(acme.clone())
    );
    // The released slug is free again.
    assert_eq!(new_tenant(&store, "acme").id, TenantId(3));

    let mut taken = acme.clone();
    taken.slug = "beta".into();
    assert!(is_conflict(
        write(&store, move |w| tenants::put_tenant(w, &taken)),
        "slug"
    ));
    assert_eq!(
        read(&store, |r| tenants::tenant_by_slug(r, "acme-corp")),
        Some(acme.clone())
    );

    let mut ghost = acme;
    ghost.id = TenantId(99);
    ghost.slug = "ghost".into();
    let result = write(&store, move |w| tenants::put_tenant(w, &ghost));
    assert!(matches!(result, Err(StoreError::NotFound)));
    let slugs: Vec<String> = read(&store, tenants::list_tenants)
        .into_iter()
        .map(|t| t.slug)
        .collect();
    assert_eq!(slugs, ["acme", "acme-corp", "beta"]);
}

#[test]
fn reads_see_the_write_transactions_own_changes() {
    let (_dir, store) = open();
    let found = write(&store, |w| {
        let t = tenants::create_tenant(w, "acme", "Acme", 0, at(0))?;
        let by_slug = tenants::tenant_by_slug(w, "acme")?;
        let listed = tenants::list_tenants(w)?;
        Ok(by_slug == Some(t.clone()) && listed == vec![t])
    });
    assert_eq!(found.ok(), Some(true));
}

#[test]
fn accounts_round_trip_and_emails_are_unique_in_any_case() {
    let (_dir, store) = open();
    let ada = new_account(&store, "ada@example.org", false);
    assert_eq!(ada.id, AccountId(1));
    assert_eq!(
        read(&store, |r| accounts::get_account(r, ada.id)),
        Some(ada.clone())
    );
    assert_eq!(
        read(&store, |r| accounts::account_by_email(r, "ADA@Example.org")),
        Some(ada.clone())
    );
    let new = NewAccount {
        email: "Ada@Example.ORG".into(),
        name: "Impostor".into(),
        phone: String::new(),
        lang: None,
        password_hash: String::new(),
        must_change_password: false,
        operator: true,
    };
    let again = write(&store, move |w| {
        accounts::create_account(w, new.clone(), at(2))
    });
    assert!(is_conflict(again, "email"));
    assert_eq!(
        read(&store, |r| accounts::get_account(r, AccountId(2))),
        None
    );
    assert!(
        !read(&store, accounts::any_operator),
        "the failed create stored no operator"
    );
    assert_eq!(
        read(&store, |r| accounts::account_by_email(r, "ada@example.org")),
        Some(ada)
    );
}

#[test]
fn operator_flag_is_indexed() {
    let (_dir, store) = open();
    new_account(&store, "user@example.org", false);
    assert!(!read(&store, accounts::any_operator));
    let mut op = new_account(&store, "op@example.org", true);
    assert!(read(&store, accounts::any_operator));
    op.operator = false;
    write(&store, move |w| accounts::put_account(w, &op)).unwrap();
    assert!(!read(&store, accounts::any_operator));
}

#[test]
fn email_change_moves_the_index() {
    let (_dir, store) = open();
    let mut ada = new_account(&store, "ada@example.org", false);
    new_account(&store, "bob@example.org", false);
    ada.email = "ada@lovelace.example".into();
    ada.lang = None;
    let a = ada.clone();
    write(&store, move |w| accounts::put_account(w, &a)).unwrap();
    assert_eq!(
        read(&store, |r| accounts::account_by_email(r, "ada@example.org")),
        None
    );
    assert_eq!(
        read(&store, |r| accounts::account_by_email(
            r,
            "ada@lovelace.example"
        )),
        Some(ada.clone())
    );
    let mut taken = ada.clone();
    taken.email = "BOB@example.org".into();
    assert!(is_conflict(
        write(&store, move |w| accounts::put_account(w, &taken)),
        "email"
    ));
    assert_eq!(
        read(&store, |r| accounts::get_account(r, ada.id)),
        Some(ada)
    );
    assert_eq!(
        new_account(&store, "ada@example.org", false).id,
        AccountId(3)
    );
}

fn membership(tenant: TenantId, account: AccountId, role: Role) -> Membership {
    Membership {
        tenant,
        account,
        role,
        disabled: false,
        created_at: at(3),
    }
}

fn put_membership(store: &Store, m: Membership) -> Result<(), StoreError> {
    write(store, move |w| accounts::put_membership(w, &m))
}

#[test]
fn memberships_are_listed_from_both_sides_and_per_tenant() {
    let (_dir, store) = open();
    let (t1, t2) = (new_tenant(&store, "one").id, new_tenant(&store, "two").id);
    let (ada, bob) = (
        new_account(&store, "ada@example.org", false).id,
        new_account(&store, "bob@example.org", false).id,
    );
    let ada_in_1 = membership(t1, ada, Role::TenantAdmin);
    let ada_in_2 = membership(t2, ada, Role::Supporter);
    let bob_in_2 = membership(t2, bob, Role::Customer);
    for m in [&ada_in_2, &ada_in_1, &bob_in_2] {
        put_membership(&store, m.clone()).unwrap();
    }
    assert_eq!(
        read(&store, |r| accounts::memberships_of_account(r, ada)),
        vec![ada_in_1.clone(), ada_in_2.clone()]
    );
    assert_eq!(
        read(&store, |r| accounts::memberships_of_account(r, bob)),
        vec![bob_in_2.clone()]
    );
    assert_eq!(
        read(&store, |r| accounts::members_of_tenant(r, t1)),
        vec![ada_in_1.clone()]
    );
    assert_eq!(
        read(&store, |r| accounts::members_of_tenant(r, t2)),
        vec![ada_in_2.clone(), bob_in_2.clone()]
    );
    assert_eq!(read(&store, |r| accounts::get_membership(r, t1, bob)), None);

    let mut changed = bob_in_2;
    changed.role = Role::Supporter;
    changed.disabled = true;
    put_membership(&store, changed.clone()).unwrap();
    assert_eq!(
        read(&store, |r| accounts::get_membership(r, t2, bob)),
        Some(changed.clone())
    );
    assert_eq!(
        read(&store, |r| accounts::memberships_of_account(r, bob)),
        vec![changed]
    );

    let dangling = [
        membership(TenantId(9), ada, Role::Customer),
        membership(TenantId::INSTANCE, ada, Role::Customer),
        membership(t1, AccountId(9), Role::Customer),
    ];
    for m in dangling {
        assert!(matches!(
            put_membership(&store, m),
            Err(StoreError::NotFound)
        ));
    }
}

#[test]
fn instance_settings_default_until_saved() {
    let (_dir, store) = open();
    assert_eq!(
        read(&store, settings::get_instance_settings),
        InstanceSettings::default()
    );
    let custom = InstanceSettings {
        instance_name: "Helpdesk Nord".into(),
        session_idle_minutes: 30,
        session_absolute_hours: 8,
    };
    let c = custom.clone();
    write(&store, move |w| settings::put_instance_settings(w, &c)).unwrap();
    assert_eq!(read(&store, settings::get_instance_settings), custom);
}

fn put_raw(store: &Store, table: RecordTable, key: Vec<u8>, bytes: Vec<u8>) {
    write(store, move |w| {
        w.open_table(table)?
            .insert(key.as_slice(), bytes.as_slice())?;
        Ok(())
    })
    .unwrap();
}

#[test]
fn undecodable_records_are_corrupt_naming_their_table() {
    let (_dir, store) = open();
    let acme = new_tenant(&store, "acme");
    let key = super::keys::Key::tenant(acme.id.0).into_bytes();
    put_raw(&store, tables::TENANTS, key.clone(), vec![7, 1, 2]);
    let err = store
        .read_blocking(|r| tenants::get_tenant(r, acme.id))
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                table: "tenants",
                ..
            }
        ),
        "{err}"
    );
    let err = store
        .read_blocking(|r| tenants::tenant_by_slug(r, "acme"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                table: "tenants",
                ..
            }
        ),
        "{err}"
    );

    // Well-formed postcard, but a creation time no timestamp can hold.
    let out_of_range =
        postcard::to_allocvec(&(0u8, 1u64, "acme", "Acme", false, 0u32, i128::MAX)).unwrap();
    put_raw(&store, tables::TENANTS, key, out_of_range);
    let err = store.read_blocking(tenants::list_tenants).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                table: "tenants",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("timestamp"), "{err}");
}

#[test]
fn entity_table_names_match_their_definitions() {
    let declared = [
        (tables::TENANTS.name(), name::TENANTS),
        (tables::TENANT_BY_SLUG.name(), name::TENANT_BY_SLUG),
        (tables::ACCOUNTS.name(), name::ACCOUNTS),
        (tables::ACCOUNT_BY_EMAIL.name(), name::ACCOUNT_BY_EMAIL),
        (tables::OPERATOR_ACCOUNTS.name(), name::OPERATOR_ACCOUNTS),
        (tables::MEMBERSHIPS.name(), name::MEMBERSHIPS),
        (
            tables::MEMBERSHIP_BY_ACCOUNT.name(),
            name::MEMBERSHIP_BY_ACCOUNT,
        ),
        (tables::PRIORITIES.name(), name::PRIORITIES),
        (tables::TOPICS.name(), name::TOPICS),
        (tables::SESSIONS.name(), name::SESSIONS),
        (tables::SESSION_BY_ACCOUNT.name(), name::SESSION_BY_ACCOUNT),
        (tables::API_TOKENS.name(), name::API_TOKENS),
        (tables::TOKEN_BY_HASH.name(), name::TOKEN_BY_HASH),
        (tables::INVITATIONS.name(), name::INVITATIONS),
        (tables::INVITATION_BY_HASH.name(), name::INVITATION_BY_HASH),
        (tables::AUDIT_EVENTS.name(), name::AUDIT_EVENTS),
        (tables::AUDIT_BY_KIND.name(), name::AUDIT_BY_KIND),
        (tables::AUDIT_BY_ACTOR.name(), name::AUDIT_BY_ACTOR),
        (tables::SETTINGS.name(), name::SETTINGS),
        (tables::META.name(), name::META),
        (tables::SEQUENCES.name(), name::SEQUENCES),
    ];
    for (definition, constant) in declared {
        assert_eq!(definition, constant);
    }
    let mut names: Vec<&str> = declared.iter().map(|d| d.1).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), declared.len());

    // Every one of them exists in a fresh file.
    let (_dir, store) = open();
    let existing: Vec<String> = read(&store, |r| {
        Ok(r.raw()
            .list_tables()?
            .map(|t| t.name().to_owned())
            .collect())
    });
    for n in names {
        assert!(
            existing.iter().any(|e| e == n),
            "{n} is not created by the migration"
        );
    }
}
