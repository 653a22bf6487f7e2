//! The domain vocabulary shared by the protocol, the CLI and the console: grant types, client
//! templates, scopes and their implication rules, identifier and URI validation.

pub mod grant_type;
pub mod pkce;
pub mod redirect;
pub mod scope;
pub mod template;
pub mod user_code;
pub mod validate;

pub use grant_type::GrantType;
pub use template::Template;
