//! Cross-namespace permission (ReferenceGrant) and label selectors.

use std::collections::BTreeMap;

use crate::resources::Resources;

/// The referring side of a reference.
#[derive(Clone, Copy, Debug)]
pub(crate) struct From<'a> {
    pub(crate) group: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) namespace: &'a str,
}

/// Whether a reference from `from` to `to_group/to_kind` `to_namespace/to_name` is allowed: always within a
/// namespace, otherwise only when a ReferenceGrant in the target namespace permits it.
pub(crate) fn reference_allowed(
    resources: &Resources,
    from: From<'_>,
    to_group: &str,
    to_kind: &str,
    to_namespace: &str,
    to_name: &str,
) -> bool {
    if from.namespace == to_namespace {
        return true;
    }
    let start = (to_namespace.to_owned(), String::new());
    resources
        .reference_grants
        .range(start..)
        .take_while(|((namespace, _), _)| namespace == to_namespace)
        .any(|(_, grant)| {
            let spec = &grant.spec;
            spec.from.iter().any(|f| {
                f.group == from.group && f.kind == from.kind && f.namespace == from.namespace
            }) && spec.to.iter().any(|t| {
                t.group == to_group
                    && t.kind == to_kind
                    && t.name.as_deref().is_none_or(|n| n == to_name)
            })
        })
}

/// One `matchExpressions` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Requirement {
    pub(crate) key: String,
    pub(crate) operator: String,
    pub(crate) values: Vec<String>,
}

/// A Kubernetes label selector (`matchLabels` AND `matchExpressions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LabelSelector {
    pub(crate) match_labels: BTreeMap<String, String>,
    pub(crate) match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// Whether `labels` satisfy the selector. Unknown operators never match (fail closed).
    pub(crate) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|req| {
                let value = labels.get(&req.key);
                match req.operator.as_str() {
                    "In" => value.is_some_and(|v| req.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !req.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn selector_combines_labels_and_expressions() {
        let selector = LabelSelector {
            match_labels: labels(&[("team", "a")]),
            match_expressions: vec![
                Requirement {
                    key: "env".into(),
                    operator: "In".into(),
                    values: vec!["prod".into(), "stage".into()],
                },
                Requirement {
                    key: "legacy".into(),
                    operator: "DoesNotExist".into(),
                    values: vec![],
                },
            ],
        };
        assert!(selector.matches(&labels(&[("team", "a"), ("env", "prod")])));
        assert!(!selector.matches(&labels(&[("team", "a"), ("env", "dev")])));
        assert!(!selector.matches(&labels(&[("team", "a"), ("env", "prod"), ("legacy", "1")])));
        assert!(!selector.matches(&labels(&[("env", "prod")])));
        let bogus = LabelSelector {
            match_expressions: vec![Requirement {
                key: "x".into(),
                operator: "Like".into(),
                values: vec![],
            }],
            ..LabelSelector::default()
        };
        assert!(!bogus.matches(&labels(&[("x", "1")])));
    }
}
