//! Pure types and rules of Supportbox. Nothing here performs I/O or reads the clock.

pub mod lang;
