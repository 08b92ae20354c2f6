//! Shared support for the integration tests (not published).

pub mod pg;
