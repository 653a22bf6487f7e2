//! OpenID Provider discovery (OpenID Connect Discovery 1.0 §4): the provider's endpoints from its
//! `/.well-known/openid-configuration`, checked the way §4.3 asks.

use super::{check_endpoint, get_json, UpstreamError};
use serde::Deserialize;

/// What a provider publishes that Portcullis uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovered {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub jwks_uri: Option<String>,
}

/// The discovery URL of `issuer`, or `url` itself when it already names the document.
pub fn discovery_url(url: &str) -> String {
    if url.ends_with("/.well-known/openid-configuration") {
        url.to_owned()
    } else {
        format!("{}/.well-known/openid-configuration", url.trim_end_matches('/'))
    }
}

/// Reads and checks the provider's document: its issuer is the one the URL names (§4.3), every
/// endpoint is https (or loopback http), and a JWKS is published (ID tokens are verified).
pub async fn discover(http: &reqwest::Client, url: &str) -> Result<Discovered, UpstreamError> {
    let url = discovery_url(url);
    let doc: Discovered = get_json(http, &url).await?;
    let malformed = |reason: String| UpstreamError::Malformed { url: url.clone(), reason };
    if discovery_url(&doc.issuer) != url {
        return Err(malformed(format!("its issuer {:?} is not the one this URL belongs to", doc.issuer)));
    }
    let endpoints = [Some(&doc.authorization_endpoint), Some(&doc.token_endpoint), doc.userinfo_endpoint.as_ref()];
    for e in endpoints.into_iter().flatten().chain(doc.jwks_uri.as_ref()) {
        check_endpoint(e).map_err(malformed)?;
    }
    if doc.jwks_uri.is_none() {
        return Err(malformed("it publishes no jwks_uri, so its ID tokens cannot be verified".into()));
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_url_of_an_issuer() {
        let doc = "https://idp.example.com/realms/x/.well-known/openid-configuration";
        assert_eq!(discovery_url("https://idp.example.com/realms/x"), doc);
        assert_eq!(discovery_url("https://idp.example.com/realms/x/"), doc);
        assert_eq!(discovery_url(doc), doc);
    }
}
