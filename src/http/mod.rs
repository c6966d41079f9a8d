//! poem routes.
