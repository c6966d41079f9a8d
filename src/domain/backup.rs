//! Backup and restore as people see them.

use jiff::Timestamp;

/// Where a restore of the running instance stands, for the operator's page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RestorePhase {
    #[default]
    Idle,
    Staging {
        started: Timestamp,
    },
    Swapping {
        started: Timestamp,
    },
    Rebuilding {
        restored_at: Timestamp,
        tickets: u64,
        /// Tickets in the index so far.
        indexed: u64,
    },
    Done {
        restored_at: Timestamp,
        previous: Option<String>,
        indexed: u64,
        warnings: Vec<String>,
    },
    Failed {
        at: Timestamp,
        error: String,
    },
}
