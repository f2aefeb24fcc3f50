//! Status write-back and leader election against a real kube-apiserver (the e2e harness's
//! `KubeCluster`, which already holds the Gateway API CRDs; ours come from the chart).

#[path = "scenarios/gateway_api.rs"]
mod gateway_api;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use dynagate_api::gateway::CONTROLLER_NAME;
use dynagate_api::kgateway::TrafficPolicy;
use dynagate_api::{ObjectKey, ObjectKind};
use dynagate_e2e::kube::KubeCluster;
use dynagate_ir::{Condition, ObjectStatus, ParentRef, PolicyAncestorStatus, StatusReport};
use dynagate_kube_status::{FIELD_MANAGER, LeaderElection, LeaseConfig, StatusWriter};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use tokio::time::Instant;

const NAMESPACE: &str = "status-test";
const DEADLINE: Duration = Duration::from_secs(20);

/// Polls `check` until it yields a value or the deadline passes.
async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let started = Instant::now();
    loop {
        let outcome = check().await;
        match outcome {
            Ok(Some(value)) => return Ok(value),
            _ if started.elapsed() > deadline => {
                bail!(
                    "timed out after {deadline:?} waiting for {what} (last: {outcome:?})",
                    outcome = outcome.err()
                )
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_leader_election_against_a_real_api_server() -> Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("dynagate_kube_status=debug")
        .with_test_writer()
        .try_init();
    let cluster = KubeCluster::start().await?;
    let client = cluster.client();
    let namespace = Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some(NAMESPACE.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await?;
    let ours = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../charts/dynagate/crds/gateway.kgateway.dev.yaml"
    ))?;
    cluster.apply_yaml(&ours).await?;

    gateway_api::status_is_applied(&client)
        .await
        .context("Gateway API status")?;
    policy_status_is_applied_stably(&client)
        .await
        .context("policy status")?;
    one_leader_at_a_time(&client)
        .await
        .context("leader election")?;
    Ok(())
}

fn policies(client: &kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(
        client.clone(),
        NAMESPACE,
        &ApiResource::erase::<TrafficPolicy>(&()),
    )
}

async fn create_policy(client: &kube::Client, name: &str) -> Result<()> {
    let api = policies(client);
    let object: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "gateway.kgateway.dev/v1alpha1",
        "kind": "TrafficPolicy",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}]},
    }))?;
    // The CRD becomes usable a moment after creation.
    eventually("TrafficPolicy CRD established", DEADLINE, || async {
        Ok(api
            .create(&PostParams::default(), &object)
            .await
            .ok()
            .map(drop))
    })
    .await
}

fn policy_report(attached: bool, markers: &[&str]) -> Arc<StatusReport> {
    let ancestor = PolicyAncestorStatus {
        ancestor_ref: ParentRef {
            group: "gateway.networking.k8s.io".into(),
            kind: "Gateway".into(),
            namespace: NAMESPACE.into(),
            name: "gw".into(),
            section_name: None,
            port: None,
        },
        controller_name: CONTROLLER_NAME.into(),
        conditions: vec![
            Condition::ok("Accepted", "Valid", "policy accepted"),
            if attached {
                Condition::ok("Attached", "Attached", "attached to gw")
            } else {
                Condition::failed("Attached", "Pending", "not attached yet")
            },
        ],
    };
    let status = ObjectStatus {
        ancestors: vec![ancestor],
        ..ObjectStatus::default()
    };
    let mut report = StatusReport::default();
    report.objects.insert(
        ObjectKey::new(ObjectKind::TrafficPolicy, NAMESPACE, "tp"),
        status.clone(),
    );
    // Objects that do not exist are skipped quietly; kinds without a status are ignored.
    report.objects.insert(
        ObjectKey::new(ObjectKind::TrafficPolicy, NAMESPACE, "missing"),
        status.clone(),
    );
    report.objects.insert(
        ObjectKey::new(ObjectKind::DirectResponse, NAMESPACE, "dr"),
        status.clone(),
    );
    for marker in markers {
        report.objects.insert(
            ObjectKey::new(ObjectKind::TrafficPolicy, NAMESPACE, *marker),
            status.clone(),
        );
    }
    Arc::new(report)
}

/// Our ancestor entry's conditions as `(type, status, lastTransitionTime)`, once present.
async fn our_conditions(
    client: &kube::Client,
    name: &str,
) -> Result<Option<Vec<(String, String, String)>>> {
    let object = policies(client).get(name).await?;
    let Some(ancestors) = object.data["status"]["ancestors"].as_array() else {
        return Ok(None);
    };
    let Some(ours) = ancestors
        .iter()
        .find(|a| a["controllerName"] == CONTROLLER_NAME)
    else {
        return Ok(None);
    };
    let conditions = ours["conditions"].as_array().context("conditions")?;
    Ok(Some(
        conditions
            .iter()
            .map(|c| {
                let field = |n: &str| c[n].as_str().unwrap_or_default().to_owned();
                (field("type"), field("status"), field("lastTransitionTime"))
            })
            .collect(),
    ))
}

async fn policy_status_is_applied_stably(client: &kube::Client) -> Result<()> {
    for name in ["tp", "marker-1", "marker-2"] {
        create_policy(client, name).await?;
    }
    // Another controller's entry, written before ours, must survive our writes.
    let foreign = json!({"ancestorRef": {"name": "their-gw"}, "controllerName": "example.com/other",
                         "conditions": []});
    policies(client)
        .patch_status(
            "tp",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"ancestors": [foreign]}})),
        )
        .await?;

    let before = Timestamp::now();
    let writer = StatusWriter::spawn(client.clone());
    writer.submit(policy_report(true, &[]));
    let first = eventually("our ancestor status", DEADLINE, || {
        our_conditions(client, "tp")
    })
    .await?;
    assert_eq!(
        first
            .iter()
            .map(|c| (c.0.as_str(), c.1.as_str()))
            .collect::<Vec<_>>(),
        [("Accepted", "True"), ("Attached", "True")]
    );
    for (_, _, time) in &first {
        let time: Timestamp = time
            .parse()
            .with_context(|| format!("lastTransitionTime {time:?}"))?;
        assert!(
            time.as_second() >= before.as_second() && time <= Timestamp::now(),
            "{time} not in [{before}, now]"
        );
    }
    let live = policies(client).get("tp").await?;
    let ancestors = live.data["status"]["ancestors"]
        .as_array()
        .context("ancestors")?;
    assert!(
        ancestors.contains(&foreign),
        "foreign entry kept: {ancestors:?}"
    );
    assert_eq!(ancestors.len(), 2);
    let managers: Vec<_> = live
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert!(
        managers.iter().any(|m| m == FIELD_MANAGER),
        "managers: {managers:?}"
    );

    // A fresh writer (nothing cached) re-applies the identical status: times come from the live object.
    // Its pass is over once a later report's marker lands (reports are processed in order).
    drop(writer);
    // Let the clock pass the second of the first write, so a re-stamped time would differ.
    let written_at: Timestamp = first[0].2.parse()?;
    eventually("the next second", DEADLINE, || async {
        Ok((Timestamp::now().as_second() > written_at.as_second()).then_some(()))
    })
    .await?;
    let fresh = StatusWriter::spawn(client.clone());
    fresh.submit(policy_report(true, &[]));
    fresh.submit(policy_report(true, &["marker-1"]));
    eventually("marker-1", DEADLINE, || our_conditions(client, "marker-1")).await?;
    fresh.submit(policy_report(true, &["marker-1", "marker-2"]));
    eventually("marker-2", DEADLINE, || our_conditions(client, "marker-2")).await?;
    assert_eq!(
        our_conditions(client, "tp").await?.context("status")?,
        first,
        "identical report keeps times"
    );

    // A status change moves only the changed condition's time.
    fresh.submit(policy_report(false, &["marker-1", "marker-2"]));
    let changed = eventually("Attached=False", DEADLINE, || async {
        Ok(our_conditions(client, "tp")
            .await?
            .filter(|c| c[1].1 == "False"))
    })
    .await?;
    assert_eq!(
        changed[0], first[0],
        "Accepted did not change, nor did its time"
    );
    assert!(
        changed[1].2.parse::<Timestamp>()? > first[1].2.parse::<Timestamp>()?,
        "Attached changed, so did its time: {changed:?} vs {first:?}"
    );
    let ancestors = policies(client).get("tp").await?.data["status"]["ancestors"].clone();
    assert!(
        ancestors.as_array().is_some_and(|a| a.contains(&foreign)),
        "foreign entry kept: {ancestors}"
    );
    Ok(())
}

fn lease_config(identity: &str) -> LeaseConfig {
    LeaseConfig {
        lease_duration: Duration::from_secs(3),
        renew_deadline: Duration::from_secs(2),
        retry_period: Duration::from_millis(250),
        ..LeaseConfig::new(NAMESPACE, "dynagate-leader", identity)
    }
}

async fn lease(client: &kube::Client) -> Result<Value> {
    let lease = Api::<Lease>::namespaced(client.clone(), NAMESPACE)
        .get("dynagate-leader")
        .await?;
    Ok(serde_json::to_value(lease.spec)?)
}

async fn one_leader_at_a_time(client: &kube::Client) -> Result<()> {
    let a = LeaderElection::spawn(client.clone(), lease_config("a"));
    eventually("a leads", DEADLINE, || async {
        Ok(a.is_leader().then_some(()))
    })
    .await?;
    let b = LeaderElection::spawn(client.clone(), lease_config("b"));
    let mut b_changes = b.subscribe();

    // While a keeps renewing (renewTime moves on twice), b never leads.
    let mut last_renewal = lease(client).await?["renewTime"].clone();
    let mut renewals = 0;
    let started = Instant::now();
    while renewals < 2 {
        assert!(
            started.elapsed() < DEADLINE,
            "a did not renew twice in {DEADLINE:?}"
        );
        assert!(!b.is_leader(), "b leads while a renews");
        assert!(a.is_leader(), "a stopped leading");
        let spec = lease(client).await?;
        assert_eq!(spec["holderIdentity"], "a");
        if spec["renewTime"] != last_renewal {
            renewals += 1;
            last_renewal = spec["renewTime"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!*b_changes.borrow_and_update());

    // a stops renewing (dropped without release): b takes over once the lease expires.
    let a_changes = a.subscribe();
    drop(a);
    assert!(
        !*a_changes.borrow(),
        "a dropped candidate no longer claims to lead"
    );
    eventually("b takes over", DEADLINE, || async {
        Ok(b.is_leader().then_some(()))
    })
    .await?;
    let spec = lease(client).await?;
    assert_eq!(spec["holderIdentity"], "b");
    assert_eq!(spec["leaseTransitions"], 1);
    assert!(b_changes.has_changed()?);

    // b releases on shutdown: c takes over without waiting for expiry.
    b.release().await;
    let released_at = Instant::now();
    let c = LeaderElection::spawn(client.clone(), lease_config("c"));
    eventually("c takes over", DEADLINE, || async {
        Ok(c.is_leader().then_some(()))
    })
    .await?;
    assert!(
        released_at.elapsed() < Duration::from_secs(3),
        "took {:?}, as long as an expiry",
        released_at.elapsed()
    );
    assert_eq!(lease(client).await?["holderIdentity"], "c");
    Ok(())
}
