//! redb storage.
