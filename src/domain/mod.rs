//! Pure types and rules. No I/O.
