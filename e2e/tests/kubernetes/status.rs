//! Reading objects and their status conditions back from the cluster, polling until they say what a test
//! expects.

use dynagate_e2e::Value;
use dynagate_e2e::kube::{CLUSTER_WAIT, KubeCluster, poll_until};

/// An object as `kubectl get -o json` shows it; `Ok(None)` when it does not exist.
pub async fn get_object(
    cluster: &KubeCluster,
    resource: &str,
    namespace: Option<&str>,
    name: &str,
) -> Result<Option<Value>, String> {
    let mut args = vec!["get", resource, name, "-o", "json", "--ignore-not-found"];
    if let Some(namespace) = namespace {
        args.extend(["--namespace", namespace]);
    }
    let text = cluster
        .kubectl(&args)
        .await
        .map_err(|err| err.to_string())?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|err| format!("{resource} {name}: {err}: {text}"))
}

/// The condition of type `kind` in the array at JSON pointer `conditions` of `object`.
pub fn condition<'a>(object: &'a Value, conditions: &str, kind: &str) -> Option<&'a Value> {
    object
        .pointer(conditions)?
        .as_array()?
        .iter()
        .find(|condition| condition["type"] == kind)
}

/// Polls until `resource namespace/name` has condition `kind` with status `status` in the array at
/// `conditions` (e.g. `/status/parents/0/conditions`); returns that condition.
pub async fn expect_condition(
    cluster: &KubeCluster,
    resource: &str,
    namespace: Option<&str>,
    name: &str,
    conditions: &str,
    kind: &str,
    status: &str,
) -> Value {
    let what = format!("{resource} {namespace:?}/{name} to report {kind}={status} at {conditions}");
    poll_until(&what, CLUSTER_WAIT, || async {
        let object = get_object(cluster, resource, namespace, name)
            .await?
            .ok_or_else(|| "it does not exist".to_owned())?;
        match condition(&object, conditions, kind) {
            Some(found) if found["status"] == status => Ok(found.clone()),
            _ => Err(format!("status: {:#}", object["status"])),
        }
    })
    .await
    .unwrap()
}

/// Polls until `resource namespace/name` no longer exists.
pub async fn expect_gone(cluster: &KubeCluster, resource: &str, namespace: &str, name: &str) {
    let what = format!("{resource} {namespace}/{name} to be deleted");
    poll_until(&what, CLUSTER_WAIT, || async {
        match get_object(cluster, resource, Some(namespace), name).await? {
            None => Ok(()),
            Some(object) => Err(format!("still there: {:#}", object["metadata"])),
        }
    })
    .await
    .unwrap();
}
