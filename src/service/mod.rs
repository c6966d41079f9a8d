//! Use cases. Services take what a request is allowed to do and call storage; they know
//! nothing of HTTP or HTML.

pub mod health;
