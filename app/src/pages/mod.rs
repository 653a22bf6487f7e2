//! One page per file.

pub mod admin_login;
pub mod clients;
pub mod not_found;
