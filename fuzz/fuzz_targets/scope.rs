//! Scope strings and the implication rules (`model::scope`): parsing keeps the distinct valid
//! tokens in order and round-trips; implication is reflexive, transitive, never reaches a
//! project scope, and grants exactly the closure of the documented rules and the realm's
//! configured implications.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::model::scope::{self, Implications, PROJECT_PREFIX};

const KNOWN: [&str; 10] = [
    "openid",
    "email",
    "read:global",
    "write:global",
    "read:dataset",
    "write:dataset",
    "read:report",
    "write:report",
    "project-7",
    "admin",
];

/// PRODUCT §6, read literally: the rules before any configured implication.
fn by_rule(held: &str, wanted: &str) -> bool {
    held == wanted
        || (!wanted.starts_with(PROJECT_PREFIX)
            && (held == "write:global"
                || (held == "read:global" && wanted.starts_with("read:"))
                || held.strip_prefix("write:").is_some_and(|x| wanted.strip_prefix("read:") == Some(x))))
}

fn check_parse(input: &str) -> Option<Vec<String>> {
    let parsed = scope::parse(input);
    let tokens: Vec<&str> = input.split(' ').filter(|t| !t.is_empty()).collect();
    let mut distinct: Vec<&str> = Vec::new();
    for t in &tokens {
        if !distinct.contains(t) {
            distinct.push(t);
        }
    }
    let valid = tokens.iter().all(|t| scope::is_scope_token(t)) && distinct.len() <= 100;
    assert_eq!(parsed.is_some(), valid, "{input:?}");
    let parsed = parsed?;
    assert_eq!(parsed, distinct);
    // Printing and parsing again gives the same list; duplicates collapse.
    assert_eq!(scope::parse(&parsed.join(" ")).as_ref(), Some(&parsed));
    let twice = format!("{0}  {0}", parsed.join(" "));
    assert_eq!(scope::parse(&twice).as_ref(), Some(&parsed));
    Some(parsed)
}

fuzz_target!(|data: &[u8]| {
    // `scope NUL edges`: each pair of bytes after the NUL configures "names[a] implies names[b]".
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let Ok(scope) = std::str::from_utf8(&data[..split]) else {
        return;
    };
    let edge_bytes = data.get(split + 1..).unwrap_or_default();
    let parsed = check_parse(scope).unwrap_or_default();
    let mut names: Vec<String> = KNOWN.iter().map(|s| s.to_string()).collect();
    let extra: Vec<String> = parsed.into_iter().filter(|s| !names.contains(s)).take(6).collect();
    names.extend(extra);
    let n = names.len();
    // Realms cannot create project scopes, so configured implications never name one.
    let edges: Vec<(usize, usize)> = edge_bytes
        .chunks_exact(2)
        .take(24)
        .map(|pair| (pair[0] as usize % n, pair[1] as usize % n))
        .filter(|&(a, b)| !names[a].starts_with(PROJECT_PREFIX) && !names[b].starts_with(PROJECT_PREFIX))
        .collect();
    let rules = Implications::from_pairs(edges.iter().map(|&(a, b)| (names[a].clone(), names[b].clone())));

    // The expected relation: the rules and the configured pairs, closed transitively.
    let mut closure = vec![vec![false; n]; n];
    for a in 0..n {
        for b in 0..n {
            closure[a][b] = by_rule(&names[a], &names[b]);
        }
    }
    for &(a, b) in &edges {
        closure[a][b] = true;
    }
    for k in 0..n {
        for a in 0..n {
            for b in 0..n {
                closure[a][b] |= closure[a][k] && closure[k][b];
            }
        }
    }
    for a in 0..n {
        for b in 0..n {
            let got = rules.implies(&names[a], &names[b]);
            assert_eq!(got, closure[a][b], "{} ⇒ {} with {:?}", names[a], names[b], edges);
            if names[b].starts_with(PROJECT_PREFIX) {
                assert_eq!(got, a == b, "a project scope is granted only by itself");
            }
            assert_eq!(rules.allows(&[names[a].clone()], &names[b]), got);
        }
    }
});
