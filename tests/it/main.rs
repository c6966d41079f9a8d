//! The one integration-test binary: the real route tree through `poem::test::TestClient`,
//! plus a smoke test that runs the compiled binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod api;
mod api_document;
mod architecture;
mod auth;
mod backup;
mod browser;
mod connections;
mod customers_api;
mod escaping;
mod faults;
mod hardening;
mod members;
mod operator_admins;
mod password_reset;
mod shell;
mod smoke;
mod support;
mod tenancy;
mod tickets;
mod tickets_api;
mod tokens_api;
mod uploads;
