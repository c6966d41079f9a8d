//! Instance-wide settings. Storage keeps its own versioned
//! encodings of these (`store::record`).

/// Instance-wide settings the operator can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSettings {
    pub instance_name: String,
    /// Minutes without activity after which a session ends.
    pub session_idle_minutes: u32,
    /// Hours after sign-in after which a session ends regardless of activity.
    pub session_absolute_hours: u32,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        InstanceSettings {
            instance_name: "Supportbox".to_owned(),
            session_idle_minutes: 120,
            session_absolute_hours: 12,
        }
    }
}
