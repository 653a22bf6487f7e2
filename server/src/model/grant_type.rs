//! OAuth grant types (RFC 6749 §4, RFC 8628 §3.4).

use std::{fmt, str::FromStr};

/// A grant type a client may be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GrantType {
    AuthorizationCode,
    ClientCredentials,
    RefreshToken,
    DeviceCode,
    Password,
    Implicit,
}

impl GrantType {
    /// The wire name (the `grant_type` parameter; `implicit` names the implicit flow).
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::RefreshToken => "refresh_token",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            GrantType::Password => "password",
            GrantType::Implicit => "implicit",
        }
    }

    /// Parses a space-separated list, as stored in `clients.grant_types`.
    pub fn parse_list(s: &str) -> Result<Vec<GrantType>, String> {
        s.split_whitespace().map(str::parse).collect()
    }

    /// Formats a list for storage.
    pub fn format_list(list: &[GrantType]) -> String {
        list.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(" ")
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GrantType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "authorization_code" => GrantType::AuthorizationCode,
            "client_credentials" => GrantType::ClientCredentials,
            "refresh_token" => GrantType::RefreshToken,
            "urn:ietf:params:oauth:grant-type:device_code" | "device_code" => GrantType::DeviceCode,
            "password" => GrantType::Password,
            "implicit" => GrantType::Implicit,
            other => return Err(format!("unknown grant type {other:?}")),
        })
    }
}
