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
            // Implication is transitive across the rules too: what `scope` implies by rule
            // (itself, `read:X` for `write:X`, …) brings what that is configured to imply.
            let configured = self.0.iter().filter(|(from, _)| implies_by_rule(scope, from));
            stack.extend(configured.flat_map(|(_, next)| next.iter().map(String::as_str)));
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

    #[test]
    fn configured_implications_follow_the_rules_transitively() {
        // Found while writing the transitivity property below: `write:dataset` implies
        // `read:dataset`, which the realm configures to imply `read:report`, yet a client allowed
        // `write:dataset` could not obtain `read:report` (configured implications were followed
        // only from the held scope itself).
        let imp = Implications::from_pairs([
            ("read:dataset".to_string(), "read:report".to_string()),
            ("read:report".to_string(), "email".to_string()),
        ]);
        assert!(imp.allows(&v(&["write:dataset"]), "read:report"));
        assert!(imp.allows(&v(&["read:global"]), "email"));
        assert!(imp.allows(&v(&["write:global"]), "email"));
        assert!(!imp.allows(&v(&["write:report"]), "read:dataset"));
        assert!(!imp.allows(&v(&["write:global"]), "project-1"));
    }

    mod properties {
        //! The rules as properties over generated scopes and realm configurations.
        use super::*;
        use proptest::{collection::vec, prelude::*};

        fn name() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("read:global".to_owned()),
                Just("write:global".to_owned()),
                "(read|write):[a-c]",
                "[a-c]",
                "project-[1-2]",
            ]
        }

        /// Configured implications, as a realm may have them: never naming a project scope.
        fn configured() -> impl Strategy<Value = Vec<(String, String)>> {
            vec((name(), name()), 0..8).prop_map(|pairs| {
                pairs
                    .into_iter()
                    .filter(|(a, b)| !a.starts_with(PROJECT_PREFIX) && !b.starts_with(PROJECT_PREFIX))
                    .collect()
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn implication_is_reflexive_and_transitive(pairs in configured(), a in name(), b in name(), c in name()) {
                let imp = Implications::from_pairs(pairs);
                prop_assert!(imp.implies(&a, &a));
                if imp.implies(&a, &b) && imp.implies(&b, &c) {
                    prop_assert!(imp.implies(&a, &c), "{} ⇒ {} ⇒ {} but not {} ⇒ {}", a, b, c, a, c);
                }
            }

            #[test]
            fn what_a_scope_implies_it_grants_everything_that_grants(pairs in configured(), a in name(), b in name(), w in name()) {
                // Monotone: holding more never grants less.
                let imp = Implications::from_pairs(pairs);
                if imp.implies(&a, &b) && imp.allows(std::slice::from_ref(&b), &w) {
                    prop_assert!(imp.allows(std::slice::from_ref(&a), &w));
                }
                prop_assert_eq!(imp.allows(&[a.clone(), b.clone()], &w), imp.implies(&a, &w) || imp.implies(&b, &w));
            }

            #[test]
            fn more_configuration_never_grants_less(pairs in configured(), extra in configured(), a in name(), w in name()) {
                let fewer = Implications::from_pairs(pairs.clone());
                let more = Implications::from_pairs(pairs.into_iter().chain(extra));
                if fewer.implies(&a, &w) {
                    prop_assert!(more.implies(&a, &w));
                }
            }

            #[test]
            fn a_project_scope_is_granted_only_by_itself(pairs in configured(), a in name(), p in "project-[1-2]") {
                let imp = Implications::from_pairs(pairs);
                prop_assert_eq!(imp.implies(&a, &p), a == p);
            }

            #[test]
            fn a_configured_implication_is_granted(pairs in configured()) {
                let imp = Implications::from_pairs(pairs.clone());
                for (a, b) in pairs {
                    prop_assert!(imp.implies(&a, &b));
                }
            }

            #[test]
            fn printing_and_parsing_round_trips(tokens in vec("[!#-\\[\\]-~]{1,12}", 0..20)) {
                let parsed = parse(&tokens.join(" ")).unwrap();
                let mut distinct = Vec::new();
                for t in &tokens {
                    if !distinct.contains(t) {
                        distinct.push(t.clone());
                    }
                }
                prop_assert_eq!(&parsed, &distinct, "duplicates collapse, order of first appearance kept");
                prop_assert_eq!(parse(&parsed.join(" ")), Some(parsed.clone()));
                prop_assert_eq!(parse(&format!("  {}  ", parsed.join("   "))), Some(parsed));
            }

            #[test]
            fn a_list_with_an_invalid_token_is_refused(tokens in vec("[a-z:]{1,8}", 0..5), bad in "[a-z]{0,3}[\"\\\\\t\u{7f}\u{e9}][a-z]{0,3}") {
                let mut all = tokens;
                all.push(bad);
                prop_assert_eq!(parse(&all.join(" ")), None);
            }
        }
    }
}
