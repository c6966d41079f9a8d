//! Accounts (instance-wide identities with unique emails) and their tenant memberships.

use crate::store::WriteTx;
use jiff::Timestamp;
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use super::Store;
use super::access::{self, BadValue, RoleV1, Tx, dangling, versioned_v1};
use super::error::StoreError;
use super::keys::{Key, KeyError, KeyReader};
use super::tables::{
    ACCOUNT_BY_EMAIL, ACCOUNTS, MEMBERSHIP_BY_ACCOUNT, MEMBERSHIPS, OPERATOR_ACCOUNTS, name,
};
use super::tenants::get_tenant;
use crate::domain::accounts::{Account, Membership};
use crate::domain::ids::{AccountId, TenantId};
use crate::domain::lang::Lang;

const SEQUENCE: &str = "accounts";
const INSTANCE: u64 = TenantId::INSTANCE.0;

/// What [`create_account`] needs; the id and creation time are assigned there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub phone: String,
    pub lang: Option<Lang>,
    pub password_hash: String,
    pub must_change_password: bool,
    pub operator: bool,
}

impl NewAccount {
    /// A person who is not the operator, with no phone or language yet; `password_hash` is
    /// empty for someone who cannot sign in until invited.
    pub fn person(email: String, name: String, password_hash: String) -> NewAccount {
        NewAccount {
            email,
            name,
            phone: String::new(),
            lang: None,
            password_hash,
            must_change_password: false,
            operator: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum AccountRecord {
    V1(AccountV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AccountV1 {
    id: u64,
    email: String,
    name: String,
    phone: String,
    lang: Option<LangV1>,
    password_hash: String,
    must_change_password: bool,
    operator: bool,
    created_at_ns: i128,
}

versioned_v1!(AccountRecord, AccountV1);

/// A language as stored. Encoded by position: append only, never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum LangV1 {
    De,
    En,
}

impl From<Lang> for LangV1 {
    fn from(l: Lang) -> Self {
        match l {
            Lang::De => LangV1::De,
            Lang::En => LangV1::En,
        }
    }
}

impl From<LangV1> for Lang {
    fn from(l: LangV1) -> Self {
        match l {
            LangV1::De => Lang::De,
            LangV1::En => Lang::En,
        }
    }
}

impl From<&Account> for AccountV1 {
    fn from(a: &Account) -> Self {
        AccountV1 {
            id: a.id.0,
            email: a.email.clone(),
            name: a.name.clone(),
            phone: a.phone.clone(),
            lang: a.lang.map(LangV1::from),
            password_hash: a.password_hash.clone(),
            must_change_password: a.must_change_password,
            operator: a.operator,
            created_at_ns: access::nanos(a.created_at),
        }
    }
}

impl TryFrom<AccountV1> for Account {
    type Error = BadValue;

    fn try_from(r: AccountV1) -> Result<Self, BadValue> {
        Ok(Account {
            id: AccountId(r.id),
            email: r.email,
            name: r.name,
            phone: r.phone,
            lang: r.lang.map(Lang::from),
            password_hash: r.password_hash,
            must_change_password: r.must_change_password,
            operator: r.operator,
            created_at: access::timestamp(r.created_at_ns)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum MembershipRecord {
    V1(MembershipV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MembershipV1 {
    tenant: u64,
    account: u64,
    role: RoleV1,
    disabled: bool,
    created_at_ns: i128,
}

versioned_v1!(MembershipRecord, MembershipV1);

impl From<&Membership> for MembershipV1 {
    fn from(m: &Membership) -> Self {
        MembershipV1 {
            tenant: m.tenant.0,
            account: m.account.0,
            role: m.role.into(),
            disabled: m.disabled,
            created_at_ns: access::nanos(m.created_at),
        }
    }
}

impl TryFrom<MembershipV1> for Membership {
    type Error = BadValue;

    fn try_from(r: MembershipV1) -> Result<Self, BadValue> {
        Ok(Membership {
            tenant: TenantId(r.tenant),
            account: AccountId(r.account),
            role: r.role.into(),
            disabled: r.disabled,
            created_at: access::timestamp(r.created_at_ns)?,
        })
    }
}

fn key(id: AccountId) -> Key {
    Key::tenant(INSTANCE).u64(id.0)
}

/// Emails are compared lower-cased, whatever the caller normalised, so two spellings of one
/// address can never become two accounts.
fn email_key(email: &str) -> Key {
    Key::tenant(INSTANCE).str(&email.to_lowercase())
}

fn membership_key(tenant: TenantId, account: AccountId) -> Key {
    Key::tenant(tenant.0).u64(account.0)
}

fn by_account_key(account: AccountId) -> Key {
    Key::tenant(INSTANCE).u64(account.0)
}

/// Creates an account with the next free id; `Conflict("email")` when the email is taken.
pub fn create_account(w: &WriteTx, new: NewAccount, now: Timestamp) -> Result<Account, StoreError> {
    if email_owner(w, &new.email)?.is_some() {
        return Err(StoreError::Conflict("email".into()));
    }
    let account = Account {
        id: AccountId(Store::next_id(w, SEQUENCE)?),
        email: new.email,
        name: new.name,
        phone: new.phone,
        lang: new.lang,
        password_hash: new.password_hash,
        must_change_password: new.must_change_password,
        operator: new.operator,
        created_at: now,
    };
    w.open_table(ACCOUNT_BY_EMAIL)?
        .insert(email_key(&account.email).as_bytes(), account.id.0)?;
    write(w, &account)?;
    Ok(account)
}

/// Overwrites an existing account. A changed email must be free (`Conflict("email")`); the
/// old one is released.
pub fn put_account(w: &WriteTx, account: &Account) -> Result<(), StoreError> {
    let old = get_account(w, account.id)?.ok_or(StoreError::NotFound)?;
    let (old_key, new_key) = (email_key(&old.email), email_key(&account.email));
    if old_key != new_key {
        if email_owner(w, &account.email)?.is_some_and(|owner| owner != account.id) {
            return Err(StoreError::Conflict("email".into()));
        }
        let mut index = w.open_table(ACCOUNT_BY_EMAIL)?;
        index.remove(old_key.as_bytes())?;
        index.insert(new_key.as_bytes(), account.id.0)?;
    }
    write(w, account)
}

pub fn get_account(r: &impl Tx, id: AccountId) -> Result<Option<Account>, StoreError> {
    access::get_record::<AccountRecord, _>(r, ACCOUNTS, name::ACCOUNTS, &key(id))
}

/// Looks an account up by email, in any letter case.
pub fn account_by_email(r: &impl Tx, email: &str) -> Result<Option<Account>, StoreError> {
    let Some(id) = email_owner(r, email)? else {
        return Ok(None);
    };
    get_account(r, id)?
        .ok_or_else(|| dangling(name::ACCOUNT_BY_EMAIL))
        .map(Some)
}

/// Whether any account is an instance operator (false until first-run setup is done).
pub fn any_operator(r: &impl Tx) -> Result<bool, StoreError> {
    let index = r.table(OPERATOR_ACCOUNTS)?;
    let range = Key::tenant(INSTANCE).prefix_range();
    let found = index.range::<&[u8]>(range.bounds())?.next().transpose()?;
    Ok(found.is_some())
}

fn email_owner(r: &impl Tx, email: &str) -> Result<Option<AccountId>, StoreError> {
    let index = r.table(ACCOUNT_BY_EMAIL)?;
    let owner = index
        .get(email_key(email).as_bytes())?
        .map(|v| AccountId(v.value()));
    Ok(owner)
}

fn write(w: &WriteTx, account: &Account) -> Result<(), StoreError> {
    let k = key(account.id);
    {
        let mut operators = w.open_table(OPERATOR_ACCOUNTS)?;
        if account.operator {
            operators.insert(k.as_bytes(), ())?;
        } else {
            operators.remove(k.as_bytes())?;
        }
    }
    access::put_record::<AccountRecord>(w, ACCOUNTS, name::ACCOUNTS, &k, account.into())
}

/// Creates or overwrites the membership of `account` in `tenant`; both must exist.
pub fn put_membership(w: &WriteTx, membership: &Membership) -> Result<(), StoreError> {
    if get_tenant(w, membership.tenant)?.is_none() || get_account(w, membership.account)?.is_none()
    {
        return Err(StoreError::NotFound);
    }
    let by_account = by_account_key(membership.account).u64(membership.tenant.0);
    w.open_table(MEMBERSHIP_BY_ACCOUNT)?
        .insert(by_account.as_bytes(), ())?;
    access::put_record::<MembershipRecord>(
        w,
        MEMBERSHIPS,
        name::MEMBERSHIPS,
        &membership_key(membership.tenant, membership.account),
        membership.into(),
    )
}

/// Removes the membership of `account` in `tenant`; `false` when there was none. The
/// account stays, with everything it wrote.
pub fn remove_membership(
    w: &WriteTx,
    tenant: TenantId,
    account: AccountId,
) -> Result<bool, StoreError> {
    let by_account = by_account_key(account).u64(tenant.0);
    w.open_table(MEMBERSHIP_BY_ACCOUNT)?
        .remove(by_account.as_bytes())?;
    let removed = w
        .open_table(MEMBERSHIPS)?
        .remove(membership_key(tenant, account).as_bytes())?
        .is_some();
    Ok(removed)
}

pub fn get_membership(
    r: &impl Tx,
    tenant: TenantId,
    account: AccountId,
) -> Result<Option<Membership>, StoreError> {
    access::get_record::<MembershipRecord, _>(
        r,
        MEMBERSHIPS,
        name::MEMBERSHIPS,
        &membership_key(tenant, account),
    )
}

/// The memberships of one account, ordered by tenant id.
pub fn memberships_of_account(
    r: &impl Tx,
    account: AccountId,
) -> Result<Vec<Membership>, StoreError> {
    let keys = access::set_keys(r, MEMBERSHIP_BY_ACCOUNT, &by_account_key(account))?;
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let tenant = tenant_of_index_key(&k)?;
        let membership = get_membership(r, tenant, account)?
            .ok_or_else(|| dangling(name::MEMBERSHIP_BY_ACCOUNT))?;
        out.push(membership);
    }
    Ok(out)
}

fn tenant_of_index_key(k: &[u8]) -> Result<TenantId, StoreError> {
    let parse = || -> Result<u64, KeyError> {
        let mut reader = KeyReader::new(k);
        reader.tenant()?;
        reader.u64()?;
        let tenant = reader.u64()?;
        reader.finish()?;
        Ok(tenant)
    };
    parse()
        .map(TenantId)
        .map_err(|e| e.in_table(name::MEMBERSHIP_BY_ACCOUNT))
}

/// The members of one tenant, ordered by account id.
pub fn members_of_tenant(r: &impl Tx, tenant: TenantId) -> Result<Vec<Membership>, StoreError> {
    access::list_records::<MembershipRecord, _>(
        r,
        MEMBERSHIPS,
        name::MEMBERSHIPS,
        &Key::tenant(tenant.0),
    )
}
