//! The customer picker of staff pages: finding a tenant's customers, and adding one while
//! filing a ticket for a caller.

use crate::domain::accounts::{Account, Membership};
use crate::domain::caller::Caller;
use crate::domain::catalog::{Priority, Topic};
use crate::domain::ids::AccountId;
use crate::domain::role::Role;
use crate::domain::validate::{self, MAX_NAME_CHARS};
use crate::service::authz;
use crate::service::{Checks, ServiceError, ServiceResult, Services};
use crate::store::accounts::{self as store_accounts, NewAccount};

/// See [`Services::customer_ticket_form`].
#[derive(Debug, Clone)]
pub struct CustomerTicketForm {
    pub topics: Vec<Topic>,
    pub priorities: Vec<Priority>,
    pub picked: Option<Account>,
    pub matches: Vec<Account>,
}

impl Services {
    /// Customers of the tenant whose name, email or phone contains `q` (the picker).
    pub async fn find_customers(&self, caller: &Caller, q: &str) -> ServiceResult<Vec<Account>> {
        let caller = authz::staff(caller)?;
        let needle = q.trim().to_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let tenant = caller.tenant;
        Ok(self
            .store
            .read(move |r| {
                let mut found = Vec::new();
                for m in store_accounts::members_of_tenant(r, tenant)? {
                    // Tickets are opened for customers; colleagues are not in this picker.
                    if m.disabled || m.role != Role::Customer {
                        continue;
                    }
                    if let Some(a) = store_accounts::get_account(r, m.account)?
                        && (a.name.to_lowercase().contains(&needle)
                            || a.email.contains(&needle)
                            || a.phone.replace(' ', "").contains(&needle.replace(' ', "")))
                    {
                        found.push(a);
                        if found.len() >= 20 {
                            break;
                        }
                    }
                }
                found.sort_by_key(|a| a.name.to_lowercase());
                Ok(found)
            })
            .await?)
    }

    /// What the form "new ticket for a customer" shows around its fields: the choices, the
    /// customer picked so far, and the matches of the picker's text.
    pub async fn customer_ticket_form(
        &self,
        caller: &Caller,
        picked: Option<AccountId>,
        customer_q: &str,
    ) -> ServiceResult<CustomerTicketForm> {
        let staff = authz::staff(caller)?;
        let picked = match picked {
            // A stale or foreign id just leaves the picker empty again.
            Some(id) => self.tenant_member(&staff, id).await.ok(),
            None => None,
        };
        Ok(CustomerTicketForm {
            topics: self.topic_choices(&staff).await?,
            priorities: self.priorities(&staff).await?,
            picked,
            matches: self.find_customers(&staff, customer_q).await?,
        })
    }

    /// Checked before a ticket for a customer is read from the request, so that a refused
    /// caller's upload never reaches the disk.
    pub fn may_file_for_customers(&self, caller: &Caller) -> ServiceResult<()> {
        authz::staff(caller).map(|_| ())
    }

    /// A member of the tenant the caller may file a ticket for.
    pub async fn tenant_member(
        &self,
        caller: &Caller,
        account: AccountId,
    ) -> ServiceResult<Account> {
        let caller = authz::staff(caller)?;
        let tenant = caller.tenant;
        self.store
            .read(move |r| {
                let member =
                    store_accounts::get_membership(r, tenant, account)?.filter(|m| !m.disabled);
                match member {
                    Some(_) => store_accounts::get_account(r, account),
                    None => Ok(None),
                }
            })
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Adds a customer while filing a ticket on the phone: no password yet (they can be
    /// invited later); an existing account of that email becomes a customer here.
    pub async fn add_customer(
        &self,
        caller: &Caller,
        name: &str,
        email: &str,
        phone: &str,
    ) -> ServiceResult<Account> {
        let caller = authz::staff(caller)?;
        let mut checks = Checks::default();
        let name = checks.check(validate::name("new_name", name, MAX_NAME_CHARS));
        let email = checks.check(validate::email("new_email", email));
        let phone = checks.check(validate::phone("new_phone", phone));
        checks.finish()?;
        let (Some(name), Some(email), Some(phone)) = (name, email, phone) else {
            return Err(ServiceError::Internal(
                "validated values missing".to_owned(),
            ));
        };
        let now = self.now();
        let tenant = caller.tenant;
        // Accounts are global, but what a person entered about themselves in another
        // tenant is not this tenant's to see: an address that already has an account is
        // never joined silently (that would show its name and phone here). A customer of
        // this tenant is picked from the search; anyone else is invited and joins by
        // accepting, under their own control.
        enum Added {
            Created(Account),
            AlreadyHere,
            Elsewhere,
        }
        let added = self
            .store
            .write(move |w| {
                if let Some(existing) = store_accounts::account_by_email(w, &email)? {
                    return Ok(
                        if store_accounts::get_membership(w, tenant, existing.id)?.is_some() {
                            Added::AlreadyHere
                        } else {
                            Added::Elsewhere
                        },
                    );
                }
                let account = store_accounts::create_account(
                    w,
                    NewAccount {
                        phone: phone.clone(),
                        ..NewAccount::person(email.clone(), name.clone(), String::new())
                    },
                    now,
                )?;
                store_accounts::put_membership(
                    w,
                    &Membership {
                        tenant,
                        account: account.id,
                        role: Role::Customer,
                        disabled: false,
                        created_at: now,
                    },
                )?;
                Ok(Added::Created(account))
            })
            .await
            .map_err(ServiceError::from)?;
        match added {
            Added::Created(account) => Ok(account),
            Added::AlreadyHere => Err(ServiceError::invalid("new_email", "customer_exists")),
            Added::Elsewhere => Err(ServiceError::invalid("new_email", "email_elsewhere")),
        }
    }
}
