//! Instance-wide settings the operator can change.

use crate::store::WriteTx;

use serde::{Deserialize, Serialize};

use super::access::{self, BadValue, Tx, versioned_v1};
use super::error::StoreError;
use super::keys::Key;
use super::tables::{SETTINGS, name};
use crate::domain::ids::TenantId;
use crate::domain::settings::InstanceSettings;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum InstanceSettingsRecord {
    V1(InstanceSettingsV1),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct InstanceSettingsV1 {
    instance_name: String,
    session_idle_minutes: u32,
    session_absolute_hours: u32,
}

versioned_v1!(InstanceSettingsRecord, InstanceSettingsV1);

impl From<&InstanceSettings> for InstanceSettingsV1 {
    fn from(s: &InstanceSettings) -> Self {
        InstanceSettingsV1 {
            instance_name: s.instance_name.clone(),
            session_idle_minutes: s.session_idle_minutes,
            session_absolute_hours: s.session_absolute_hours,
        }
    }
}

impl TryFrom<InstanceSettingsV1> for InstanceSettings {
    type Error = BadValue;

    fn try_from(r: InstanceSettingsV1) -> Result<Self, BadValue> {
        Ok(InstanceSettings {
            instance_name: r.instance_name,
            session_idle_minutes: r.session_idle_minutes,
            session_absolute_hours: r.session_absolute_hours,
        })
    }
}

fn key() -> Key {
    Key::tenant(TenantId::INSTANCE.0).str("instance")
}

/// The stored settings, or the defaults until the operator first saves them.
pub fn get_instance_settings(r: &impl Tx) -> Result<InstanceSettings, StoreError> {
    let stored = access::get_record::<InstanceSettingsRecord, InstanceSettings>(
        r,
        SETTINGS,
        name::SETTINGS,
        &key(),
    )?;
    Ok(stored.unwrap_or_default())
}

pub fn put_instance_settings(w: &WriteTx, settings: &InstanceSettings) -> Result<(), StoreError> {
    access::put_record::<InstanceSettingsRecord>(
        w,
        SETTINGS,
        name::SETTINGS,
        &key(),
        settings.into(),
    )
}
