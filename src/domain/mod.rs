//! Pure types and rules of Supportbox. Nothing here performs I/O or reads the clock.

pub mod backup;
pub mod caller;
pub mod ids;
pub mod lang;
pub mod model;
pub mod read;
pub mod role;
pub mod ticket;
pub mod validate;
