//! maud views.
