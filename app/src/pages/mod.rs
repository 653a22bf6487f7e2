//! One page per file.

pub mod admin_login;
pub mod consent;
pub mod console;
pub mod device;
pub mod error;
pub mod login;
pub mod logout;
pub mod not_found;
