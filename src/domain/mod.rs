//! Pure types and rules of Supportbox. Nothing here performs I/O or reads the clock.

pub mod accounts;
pub mod audit;
pub mod backup;
pub mod caller;
pub mod catalog;
pub mod ids;
pub mod invitations;
pub mod lang;
pub mod password_resets;
pub mod read;
pub mod role;
pub mod sessions;
pub mod settings;
pub mod tenants;
pub mod ticket;
pub mod tokens;
pub mod validate;
