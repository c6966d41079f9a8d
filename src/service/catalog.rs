//! Priorities and topics of a tenant.

use super::authz;
use super::{Checks, ServiceError, ServiceResult, Services};
use crate::domain::caller::Caller;
use crate::domain::catalog::{Priority, Topic};
use crate::domain::ids::{PriorityId, TopicId};
use crate::domain::validate::{self, FieldError, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use crate::store::{StoreError, catalog as store_catalog};

#[derive(Debug, Clone, Default)]
pub struct PriorityInput {
    pub name: String,
    pub colour: String,
    pub rank: String,
    pub response_target_minutes: String,
}

#[derive(Debug, Clone, Default)]
pub struct TopicInput {
    pub name: String,
    pub description: String,
    pub active: bool,
}

struct ValidPriority {
    name: String,
    colour: String,
    rank: u32,
    target: Option<u32>,
}

fn validate_priority(input: &PriorityInput) -> ServiceResult<ValidPriority> {
    let mut checks = Checks::default();
    let name = checks.check(validate::name("name", &input.name, MAX_NAME_CHARS));
    let colour = checks.check(validate::colour("colour", &input.colour));
    let rank = match input.rank.trim().parse::<u32>() {
        Ok(n) if n <= 1000 => Some(n),
        _ => {
            checks.fail("rank", "invalid_number");
            None
        }
    };
    let target = match input.response_target_minutes.trim() {
        "" => Some(None),
        t => match t.parse::<u32>() {
            Ok(n) if n > 0 && n <= 365 * 24 * 60 => Some(Some(n)),
            _ => {
                checks.fail("response_target_minutes", "invalid_number");
                None
            }
        },
    };
    checks.finish()?;
    match (name, colour, rank, target) {
        (Some(name), Some(colour), Some(rank), Some(target)) => Ok(ValidPriority {
            name,
            colour,
            rank,
            target,
        }),
        _ => Err(ServiceError::Internal(
            "validated values missing".to_owned(),
        )),
    }
}

fn validate_topic(input: &TopicInput) -> ServiceResult<(String, String)> {
    let mut checks = Checks::default();
    let name = checks.check(validate::name("name", &input.name, MAX_NAME_CHARS));
    let description = checks.check(validate::text(
        "description",
        &input.description,
        MAX_DESCRIPTION_CHARS,
    ));
    checks.finish()?;
    name.zip(description)
        .ok_or_else(|| ServiceError::Internal("validated values missing".to_owned()))
}

impl Services {
    /// Every member sees priorities (tickets show them); only admins change them.
    pub async fn priorities(&self, caller: &Caller) -> ServiceResult<Vec<Priority>> {
        let tenant = caller.tenant;
        Ok(self
            .store
            .read(move |r| store_catalog::list_priorities(r, tenant))
            .await?)
    }

    /// The priorities as the settings page lists them, for the admins who change them.
    pub async fn priority_settings(&self, caller: &Caller) -> ServiceResult<Vec<Priority>> {
        let caller = authz::tenant_admin(caller)?;
        self.priorities(&caller).await
    }

    pub async fn create_priority(
        &self,
        caller: &Caller,
        input: &PriorityInput,
    ) -> ServiceResult<Priority> {
        let caller = authz::tenant_admin(caller)?;
        let v = validate_priority(input)?;
        let tenant = caller.tenant;
        Ok(self
            .store
            .write(move |w| {
                store_catalog::create_priority(w, tenant, &v.name, &v.colour, v.rank, v.target)
            })
            .await?)
    }

    pub async fn update_priority(
        &self,
        caller: &Caller,
        id: PriorityId,
        input: &PriorityInput,
    ) -> ServiceResult<Priority> {
        let caller = authz::tenant_admin(caller)?;
        let v = validate_priority(input)?;
        let tenant = caller.tenant;
        self.store
            .write(move |w| {
                let mut p =
                    store_catalog::get_priority(w, tenant, id)?.ok_or(StoreError::NotFound)?;
                p.name = v.name.clone();
                p.colour = v.colour.clone();
                p.rank = v.rank;
                p.response_target_minutes = v.target;
                store_catalog::put_priority(w, &p)?;
                Ok(p)
            })
            .await
            .map_err(ServiceError::from)
    }

    /// Removes a priority; the last one stays, since tickets need a priority to accept.
    pub async fn delete_priority(&self, caller: &Caller, id: PriorityId) -> ServiceResult<()> {
        let caller = authz::tenant_admin(caller)?;
        let tenant = caller.tenant;
        self.store
            .write_checked(move |w| {
                store_catalog::get_priority(w, tenant, id)?.ok_or(ServiceError::NotFound)?;
                if store_catalog::list_priorities(w, tenant)?.len() <= 1 {
                    return Err(ServiceError::Refused(FieldError::new(
                        "name",
                        "last_priority",
                    )));
                }
                Ok(store_catalog::delete_priority(w, tenant, id)?)
            })
            .await
    }

    /// Topics for staff pages: all of them, deleted ones included (marked).
    pub async fn topics(&self, caller: &Caller) -> ServiceResult<Vec<Topic>> {
        let caller = authz::staff(caller)?;
        let tenant = caller.tenant;
        Ok(self
            .store
            .read(move |r| store_catalog::list_topics(r, tenant))
            .await?)
    }

    /// Topics a picker offers: active and not deleted.
    pub async fn topic_choices(&self, caller: &Caller) -> ServiceResult<Vec<Topic>> {
        let tenant = caller.tenant;
        let mut topics = self
            .store
            .read(move |r| store_catalog::list_topics(r, tenant))
            .await?;
        topics.retain(|t| t.active && !t.deleted);
        Ok(topics)
    }

    pub async fn create_topic(&self, caller: &Caller, input: &TopicInput) -> ServiceResult<Topic> {
        let caller = authz::staff(caller)?;
        let (name, description) = validate_topic(input)?;
        let tenant = caller.tenant;
        let active = input.active;
        Ok(self
            .store
            .write(move |w| {
                let mut t = store_catalog::create_topic(w, tenant, &name, &description)?;
                if !active {
                    t.active = false;
                    store_catalog::put_topic(w, &t)?;
                }
                Ok(t)
            })
            .await?)
    }

    /// Renaming keeps the id, so every assignment follows the new name.
    pub async fn update_topic(
        &self,
        caller: &Caller,
        id: TopicId,
        input: &TopicInput,
    ) -> ServiceResult<Topic> {
        let caller = authz::staff(caller)?;
        let (name, description) = validate_topic(input)?;
        let tenant = caller.tenant;
        let active = input.active;
        self.store
            .write(move |w| {
                let mut t = store_catalog::get_topic(w, tenant, id)?.ok_or(StoreError::NotFound)?;
                t.name = name.clone();
                t.description = description.clone();
                t.active = active;
                store_catalog::put_topic(w, &t)?;
                Ok(t)
            })
            .await
            .map_err(ServiceError::from)
    }

    /// Deleting hides a topic from pickers; records that use it still show its name.
    pub async fn delete_topic(&self, caller: &Caller, id: TopicId) -> ServiceResult<()> {
        let caller = authz::staff(caller)?;
        let tenant = caller.tenant;
        self.store
            .write(move |w| {
                let mut t = store_catalog::get_topic(w, tenant, id)?.ok_or(StoreError::NotFound)?;
                t.deleted = true;
                t.active = false;
                store_catalog::put_topic(w, &t)
            })
            .await
            .map_err(ServiceError::from)
    }
}
