//! Supportbox: a self-hosted helpdesk and hardware registry for small IT departments.
//!
//! Imports flow one way: `domain ← store ← service ← http → views`. `http` and `views`
//! never touch redb; `domain` performs no I/O. See `docs/architecture.md`.

pub mod app;
pub mod backup;
pub mod blobs;
pub mod cli;
pub mod clock;
pub mod config;
pub mod datadir;
pub mod domain;
pub mod error;
pub mod http;
pub mod i18n;
pub mod listener;
pub mod logging;
pub mod search;
pub mod server;
pub mod service;
pub mod store;
pub mod tls;
pub mod tools;
pub mod views;
pub mod web;
