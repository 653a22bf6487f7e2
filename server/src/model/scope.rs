//! Scopes: parsing (RFC 6749 §3.3) and the implication rules of PRODUCT §6.
//!
//! A client allowed scope `a` may obtain scope `r` when `a` implies `r`:
//! - every scope implies itself;
//! - `write:X` implies `read:X`;
//! - `write:global` implies every scope, `read:global` every `read:*` scope;
//! - explicit implications configured in the realm, followed transitively.
//!
//! Project scopes (`project-{id}`) are never implied: access to a project is granted explicitly.

use std::collections::{BTreeSet, HashMap};

/// Built-in scopes every realm has, with the descriptions the consent page shows.
pub const BUILTIN: &[(&str, &str)] = &[
    ("openid", "Sign you in and confirm who you are"),
    ("profile", "Read your name and username"),
    ("email", "Read your email address"),
    ("offline_access", "Stay signed in while you are away"),
];

/// The prefix of project scopes.
pub const PROJECT_PREFIX: &str = "project-";

/// Whether `token` is a valid RFC 6749 §3.3 scope-token: `1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 200
        && token.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Parses a `scope` parameter into its distinct tokens, in order of first appearance.
/// `None` when a token is malformed or the list is absurdly long.
pub fn parse(scope: &str) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    // RFC 6749 §3.3: tokens are separated by single spaces; be lenient about runs of spaces.
    for token in scope.split(' ').filter(|t| !t.is_empty()) {
        if !is_scope_token(token) {
            return None;
        }
        if seen.insert(token) {
            out.push(token.to_owned());
        }
    }
    (out.len() <= 100).then_some(out)
}

/// Explicit implications of a realm: scope → scopes it directly implies.
#[derive(Debug, Clone, Default)]
pub struct Implications(HashMap<String, Vec<String>>);

impl Implications {
    /// Builds the map from `(scope, implied)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (scope, implied) in pairs {
            map.entry(scope).or_default().push(implied);
        }
        Self(map)
    }

    /// Whether holding `held` grants `wanted`, by the rules in the module documentation.
    pub fn implies(&self, held: &str, wanted: &str) -> bool {
        let mut stack = vec![held];
        let mut visited = BTreeSet::new();
        while let Some(scope) = stack.pop() {
            if !visited.insert(scope) {
                continue;
            }
            if implies_by_rule(scope, wanted) {
                return true;
            }
            if let Some(next) = self.0.get(scope) {
                stack.extend(next.iter().map(String::as_str));
            }
        }
        false
    }

    /// Whether a client allowed `allowed` may obtain `wanted`.
    pub fn allows(&self, allowed: &[String], wanted: &str) -> bool {
        allowed.iter().any(|a| self.implies(a, wanted))
    }
}

fn implies_by_rule(held: &str, wanted: &str) -> bool {
    if held == wanted {
        return true;
    }
    if wanted.starts_with(PROJECT_PREFIX) {
        return false;
    }
    match held {
        "write:global" => true,
        "read:global" => wanted.starts_with("read:"),
        _ => match (held.strip_prefix("write:"), wanted.strip_prefix("read:")) {
            (Some(w), Some(r)) => w == r,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_scope_lists() {
        assert_eq!(parse("a  b a").unwrap(), v(&["a", "b"]));
        assert_eq!(parse("").unwrap(), Vec::<String>::new());
        assert!(parse("bad\"quote").is_none());
        assert!(parse("bad\\slash").is_none());
        assert!(parse("tab\there").is_none());
    }

    #[test]
    fn implication_rules_of_product_section_6() {
        let imp = Implications::default();
        assert!(imp.allows(&v(&["write:dataset"]), "read:dataset"));
        assert!(imp.allows(&v(&["write:dataset"]), "write:dataset"));
        assert!(!imp.allows(&v(&["write:dataset"]), "read:report"));
        assert!(!imp.allows(&v(&["read:dataset"]), "write:dataset"));
        assert!(imp.allows(&v(&["write:global"]), "write:report"));
        assert!(imp.allows(&v(&["write:global"]), "read:profile"));
        assert!(imp.allows(&v(&["read:global"]), "read:report"));
        assert!(!imp.allows(&v(&["read:global"]), "write:report"));
        assert!(!imp.allows(&v(&["write:global"]), "project-42"));
        assert!(imp.allows(&v(&["project-42"]), "project-42"));
    }

    #[test]
    fn explicit_implications_are_transitive_and_cycle_safe() {
        let imp = Implications::from_pairs([
            ("admin".to_string(), "write:users".to_string()),
            ("a".to_string(), "b".to_string()),
            ("b".to_string(), "a".to_string()),
        ]);
        assert!(imp.allows(&v(&["admin"]), "read:users"));
        assert!(!imp.allows(&v(&["a"]), "c"));
    }
}
