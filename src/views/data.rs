//! Plain data the http layer fills for the account and administration pages: table rows
//! that join records, and the values of submitted forms. Form values are all strings so a
//! form shown again after an error keeps exactly what was typed.

use jiff::Timestamp;
use serde::Deserialize;

use crate::domain::accounts::{Account, Membership};
use crate::domain::audit::AuditEvent;
use crate::domain::catalog::{Priority, Topic};
use crate::domain::role::Role;
use crate::domain::settings::InstanceSettings;
use crate::domain::tenants::Tenant;

/// A member of a tenant as the users page lists them.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub account: Account,
    pub membership: Membership,
    /// Seen within the last five minutes.
    pub online: bool,
}

/// An invitation that can still be accepted, as the users page lists it.
#[derive(Debug, Clone)]
pub struct PendingInvitation {
    /// The stored hash in hex: names the invitation in URLs without revealing its link.
    pub id: String,
    pub email: String,
    pub role: crate::domain::role::Role,
    pub invited_by: String,
    pub created_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
}

/// A person signed in to a tenant right now.
#[derive(Debug, Clone)]
pub struct OnlineRow {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub last_seen: Timestamp,
}

/// A tenant with its counts, for the operator's list.
#[derive(Debug, Clone)]
pub struct TenantRow {
    pub tenant: Tenant,
    pub members: usize,
    /// Members signed in now (seen within the last five minutes).
    pub online: usize,
}

/// An audit entry with the actor's display name resolved.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub event: AuditEvent,
    pub actor_name: Option<String>,
}

/// First-run setup: the instance operator and the first tenant.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SetupForm {
    pub name: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
    pub tenant_name: String,
    pub tenant_slug: String,
}

/// Accepting an invitation: the invited person's name and password.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct InvitationForm {
    pub name: String,
    pub password: String,
    pub password_confirm: String,
}

/// One's own profile; `lang` is `""` (browser default), `"de"` or `"en"`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub phone: String,
    pub lang: String,
}

impl From<&Account> for ProfileForm {
    fn from(account: &Account) -> Self {
        ProfileForm {
            name: account.name.clone(),
            phone: account.phone.clone(),
            lang: account
                .lang
                .map(|l| l.code().to_owned())
                .unwrap_or_default(),
        }
    }
}

/// A new API token; `expires` is `YYYY-MM-DD` or empty for no expiry.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    pub name: String,
    pub expires: String,
}

/// Inviting someone by e-mail; `role` is a [`Role::code`].
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    pub email: String,
    pub role: String,
}

/// Creating a member directly with an initial password they must change.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CreateUserForm {
    pub name: String,
    pub email: String,
    pub role: String,
    pub initial_password: String,
}

/// A member's name, address and phone as the admin edits them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct MemberDetailsForm {
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// A priority being added or edited; `response_target_minutes` may be empty.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PriorityForm {
    pub name: String,
    pub colour: String,
    pub rank: String,
    pub response_target_minutes: String,
}

impl From<&Priority> for PriorityForm {
    fn from(p: &Priority) -> Self {
        PriorityForm {
            name: p.name.clone(),
            colour: p.colour.clone(),
            rank: p.rank.to_string(),
            response_target_minutes: p
                .response_target_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
        }
    }
}

/// A topic being added or edited; `active` is `Some(_)` when the box was ticked.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TopicForm {
    pub name: String,
    pub description: String,
    pub active: Option<String>,
}

impl From<&Topic> for TopicForm {
    fn from(t: &Topic) -> Self {
        TopicForm {
            name: t.name.clone(),
            description: t.description.clone(),
            active: t.active.then(|| "on".to_owned()),
        }
    }
}

/// A tenant being created (name, slug, limit) or changed (name, limit; the slug stays).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TenantForm {
    pub name: String,
    pub slug: String,
    pub licence_limit: String,
    /// The first admin, when creating; edits leave it empty.
    pub admin_email: String,
}

impl From<&Tenant> for TenantForm {
    fn from(t: &Tenant) -> Self {
        TenantForm {
            name: t.name.clone(),
            slug: t.slug.clone(),
            licence_limit: t.licence_limit.to_string(),
            admin_email: String::new(),
        }
    }
}

/// The operator's "add an admin" form on a tenant's page.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct AdminForm {
    pub admin_email: String,
}

/// A member on the operator's tenant page.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub role: crate::domain::role::Role,
    pub disabled: bool,
}

/// Instance settings as typed by the operator.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub instance_name: String,
    pub session_idle_minutes: String,
    pub session_absolute_hours: String,
}

impl From<&InstanceSettings> for SettingsForm {
    fn from(s: &InstanceSettings) -> Self {
        SettingsForm {
            instance_name: s.instance_name.clone(),
            session_idle_minutes: s.session_idle_minutes.to_string(),
            session_absolute_hours: s.session_absolute_hours.to_string(),
        }
    }
}
