//! Client templates (PRODUCT §3): the defaults a new client starts from.

use super::GrantType;
use std::{fmt, str::FromStr};

/// A client template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// Confidential, `client_credentials`: machine-to-machine.
    Service,
    /// Confidential, authorization code + refresh: a server-side web app.
    Web,
    /// Public, code + PKCE, rotating refresh: a single-page app.
    Spa,
    /// Public, code + PKCE, loopback redirects (RFC 8252): a native app.
    Native,
    /// Public, device grant (RFC 8628): CLIs and TVs.
    Device,
}

/// What a template decides about a new client.
#[derive(Debug, Clone)]
pub struct TemplateDefaults {
    pub confidential: bool,
    pub grant_types: Vec<GrantType>,
    pub pkce_required: bool,
    pub consent_required: bool,
    pub refresh_token_rotation: bool,
    /// Whether the client sends users through a browser redirect (and so needs redirect URIs).
    pub uses_redirects: bool,
}

impl Template {
    /// The template's name on the command line and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Template::Service => "service",
            Template::Web => "web",
            Template::Spa => "spa",
            Template::Native => "native",
            Template::Device => "device",
        }
    }

    /// The defaults of a client created from this template.
    pub fn defaults(self) -> TemplateDefaults {
        use GrantType::*;
        match self {
            Template::Service => TemplateDefaults {
                confidential: true,
                grant_types: vec![ClientCredentials],
                pkce_required: false,
                consent_required: false,
                refresh_token_rotation: true,
                uses_redirects: false,
            },
            Template::Web => TemplateDefaults {
                confidential: true,
                grant_types: vec![AuthorizationCode, RefreshToken],
                pkce_required: true,
                consent_required: true,
                refresh_token_rotation: true,
                uses_redirects: true,
            },
            Template::Spa | Template::Native => TemplateDefaults {
                confidential: false,
                grant_types: vec![AuthorizationCode, RefreshToken],
                pkce_required: true,
                consent_required: true,
                refresh_token_rotation: true,
                uses_redirects: true,
            },
            Template::Device => TemplateDefaults {
                confidential: false,
                grant_types: vec![DeviceCode, RefreshToken],
                pkce_required: true,
                consent_required: true,
                refresh_token_rotation: true,
                uses_redirects: false,
            },
        }
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Template {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "service" => Template::Service,
            "web" => Template::Web,
            "spa" => Template::Spa,
            "native" => Template::Native,
            "device" => Template::Device,
            other => return Err(format!("unknown template {other:?} (expected service, web, spa, native or device)")),
        })
    }
}
