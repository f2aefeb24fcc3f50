//! Names, labels and annotations of the proxy objects (kgateway's scheme, our managed-by value).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

#[cfg(test)]
mod tests;

/// Label marking every object the deployer owns; pruning only ever looks at objects carrying it.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Value of [`MANAGED_BY_LABEL`] on the deployer's objects.
pub const MANAGED_BY_VALUE: &str = "dynagate";
/// The Gateway (its object name) a proxy object belongs to; also a pod selector label.
pub const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";
/// The GatewayClass of that Gateway (informational, not a selector: a class change must not orphan pods).
pub const GATEWAY_CLASS_LABEL: &str = "gateway.networking.k8s.io/gateway-class-name";
/// Pod template annotation holding the SHA-256 of the bootstrap, so a changed bootstrap rolls the pods.
pub const BOOTSTRAP_CHECKSUM_ANNOTATION: &str = "dynagate.dev/bootstrap-sha256";

const APP_NAME_LABEL: &str = "app.kubernetes.io/name";
const APP_INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// Longest object name every kind accepts (a Service name is a DNS-1035 label) and longest label value.
const MAX_NAME: usize = 63;
/// Hex digits of the name hash appended to a truncated name.
const HASH_DIGITS: usize = 8;

/// Name of every proxy object of the Gateway `gateway_name`: the Gateway's own name, or when longer than 63
/// characters its first 54 characters, `-`, and 8 hex digits of its SHA-256 (unique and stable).
pub fn object_name(gateway_name: &str) -> String {
    if gateway_name.len() <= MAX_NAME {
        return gateway_name.to_owned();
    }
    let mut cut = MAX_NAME - HASH_DIGITS - 1;
    while !gateway_name.is_char_boundary(cut) {
        cut -= 1;
    }
    let prefix = gateway_name[..cut].trim_end_matches(['-', '.']);
    format!(
        "{prefix}-{}",
        &sha256_hex(gateway_name.as_bytes())[..HASH_DIGITS]
    )
}

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The labels pods are selected by (stable for a Gateway's lifetime: a Deployment selector is immutable).
pub(crate) fn selector_labels(name: &str) -> BTreeMap<String, String> {
    [APP_NAME_LABEL, APP_INSTANCE_LABEL, GATEWAY_NAME_LABEL]
        .into_iter()
        .map(|key| (key.to_owned(), name.to_owned()))
        .collect()
}

/// Labels of every proxy object: the selector labels, the class and the managed-by marker.
pub(crate) fn object_labels(name: &str, class: &str) -> BTreeMap<String, String> {
    let mut labels = selector_labels(name);
    labels.insert(GATEWAY_CLASS_LABEL.to_owned(), object_name(class));
    labels.insert(MANAGED_BY_LABEL.to_owned(), MANAGED_BY_VALUE.to_owned());
    labels
}
