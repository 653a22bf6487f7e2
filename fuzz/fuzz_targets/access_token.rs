//! Presented JWTs: access-token verification without the clock and database
//! (`oauth::access_token::decode`: the header, its `typ`, `kid` and `alg`, the signature, the
//! issuer) and the refresh-token envelope (`oauth::refresh_envelope::secret`). Arbitrary input
//! is never accepted; a token the realm signed is accepted with its claims intact, and refused
//! once any byte of it changes, or when it is not an access token or not of this issuer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::{
    crypto::jws::SigningAlg,
    oauth::{
        access_token::{decode, AccessClaims, Audience},
        refresh_envelope,
    },
    registry::KeySet,
};
use std::{collections::BTreeMap, sync::OnceLock};

const ISSUER: &str = "https://login.example.com/realms/acme";

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::generate().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    // Nothing an attacker makes up without the key is an access token.
    assert!(decode(keys(), ISSUER, raw).is_err());
    let secret = refresh_envelope::secret(raw);
    assert!(raw.ends_with(secret) && !secret.contains('.'));

    // A token the realm signs, with claims and choices taken from the same bytes.
    let n = data.len();
    let (sub, scope) = raw.split_once(' ').unwrap_or((raw, ""));
    let other_issuer = n % 5 == 4;

    let claims = AccessClaims {
        iss: if other_issuer { format!("{ISSUER}x") } else { ISSUER.to_owned() },
        sub: sub.to_owned(),
        aud: Audience::One("app".into()),
        exp: n as i64 * 1_000_003 - 7,
        iat: 0,
        jti: secret.to_owned(),
        typ: "Bearer".into(),
        azp: "app".into(),
        client_id: "app".into(),
        sid: (n % 2 == 0).then(|| raw.to_owned()),
        auth_time: None,
        scope: scope.to_owned(),
        realm_access: None,
        resource_access: BTreeMap::new(),
        preferred_username: None,
        email: None,
        email_verified: None,
        cpk: Some("c1".into()),
        client_id_legacy: None,
        project: None,
    };
    let alg = SigningAlg::ALL[n % SigningAlg::ALL.len()];
    let (typ, is_access_token) = match (n / 3) % 4 {
        0 => ("at+jwt", true),
        1 => ("application/AT+JWT", true),
        2 => ("JWT", false),
        _ => ("Logout", false),
    };
    let token = keys().signer(alg, 0).unwrap().sign(typ, &claims).unwrap();
    match decode(keys(), ISSUER, &token) {
        Ok(decoded) => {
            assert!(is_access_token && !other_issuer, "accepted typ {typ:?} or another issuer");
            assert_eq!(serde_json::to_value(&decoded).unwrap(), serde_json::to_value(&claims).unwrap());
        }
        Err(e) => assert!(!is_access_token || other_issuer, "refused a good token: {e:?}"),
    }

    let mut bytes = token.into_bytes();
    let at = data.iter().map(|b| *b as usize).sum::<usize>() % bytes.len();
    let to = data.first().copied().unwrap_or(b'A');
    if bytes[at] != to {
        bytes[at] = to;
        if let Ok(changed) = String::from_utf8(bytes) {
            assert!(decode(keys(), ISSUER, &changed).is_err(), "accepted a token changed at byte {at}");
        }
    }
});
