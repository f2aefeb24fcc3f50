//! One Gateway's life on a real cluster, step by step: applied with kubectl, accepted (statuses), deployed
//! (owned Deployment, Service, ConfigMap), served by a real Envoy on the deployed bootstrap (routed and
//! transformed), its policy updated live, a broken policy rejected while traffic keeps flowing, and
//! its proxy objects garbage-collected with it.

use std::net::SocketAddr;

use dynagate_e2e::kube::{CLUSTER_WAIT, poll_until};
use dynagate_e2e::{EchoUpstream, HttpRequest, reserve_port};

use crate::controller::start_as_deployed;
use crate::installed::cluster_with_chart;
use crate::manifests::{
    APP_NAMESPACE, GATEWAY, HOSTNAME, POLICY, ROUTE, SEEN_HEADER, TAG_HEADER, backend, gateway,
    namespace, policy, policy_with_template, route,
};
use crate::proxy::{READINESS_LISTENER, deployed_bootstrap, start_envoy};
use crate::status::{expect_condition, expect_gone, get_object};

/// The kinds the deployer creates for a Gateway, all named after it and owned by it.
const PROXY_OBJECTS: [&str; 4] = ["deployment", "service", "configmap", "serviceaccount"];

#[tokio::test]
async fn a_gateway_is_deployed_served_updated_guarded_and_collected() {
    let cluster = cluster_with_chart().await;
    let controller = start_as_deployed(&cluster).await;
    // The `dynagate ready:` line was printed, so the chart's readiness probe must pass too.
    let health = HttpRequest::get("/readyz")
        .send(controller.admin)
        .await
        .unwrap();
    assert_eq!(health.status, 200, "controller /readyz: {}", health.text());
    let echo = EchoUpstream::start().await.unwrap();
    let port = reserve_port().unwrap();
    cluster.apply_yaml(&namespace()).await.unwrap();
    let manifests = [backend(echo.addr()), gateway(port), route(), policy("v1")].join("---\n");
    cluster.apply_yaml(&manifests).await.unwrap();

    // Step 1: every object is accepted, as reported in its status.
    let ns = Some(APP_NAMESPACE);
    let at = "/status/conditions";
    expect_condition(
        &cluster,
        "gatewayclass",
        None,
        "dynagate",
        at,
        "Accepted",
        "True",
    )
    .await;
    expect_condition(&cluster, "gateway", ns, GATEWAY, at, "Accepted", "True").await;
    let parent = "/status/parents/0/conditions";
    expect_condition(&cluster, "httproute", ns, ROUTE, parent, "Accepted", "True").await;
    expect_condition(
        &cluster,
        "httproute",
        ns,
        ROUTE,
        parent,
        "ResolvedRefs",
        "True",
    )
    .await;
    let ancestor = "/status/ancestors/0/conditions";
    expect_condition(
        &cluster,
        "trafficpolicy",
        ns,
        POLICY,
        ancestor,
        "Accepted",
        "True",
    )
    .await;

    // Step 2: the proxy objects exist, named after the Gateway and controlled by it.
    let gateway_uid = get_object(&cluster, "gateway", ns, GATEWAY)
        .await
        .unwrap()
        .unwrap()["metadata"]["uid"]
        .clone();
    for kind in PROXY_OBJECTS {
        let what = format!("the deployer to create {kind} {APP_NAMESPACE}/{GATEWAY}");
        let object = poll_until(&what, CLUSTER_WAIT, || async {
            get_object(&cluster, kind, ns, GATEWAY)
                .await?
                .ok_or_else(|| "absent".to_owned())
        })
        .await
        .unwrap();
        let owner = &object["metadata"]["ownerReferences"][0];
        assert_eq!(owner["kind"], "Gateway", "{kind}: {owner:#}");
        assert_eq!(owner["uid"], gateway_uid, "{kind}: {owner:#}");
        assert_eq!(owner["controller"], true, "{kind}: {owner:#}");
    }

    // Step 3: Envoy on the deployed bootstrap routes to the EndpointSlice's echo server, transformed.
    let bootstrap = deployed_bootstrap(&cluster, APP_NAMESPACE, GATEWAY).await;
    let (envoy, addr) = start_envoy(&bootstrap, controller.xds, &format!("listener~{port}")).await;
    let (tag, seen) = wait_for_tag(addr, "v1").await;
    assert_eq!((tag.as_str(), seen.as_str()), ("v1", "c1-v1"));
    assert!(
        echo.request_count() > 0,
        "the echo server behind the EndpointSlice saw no request"
    );
    expect_condition(&cluster, "gateway", ns, GATEWAY, at, "Programmed", "True").await;
    // What the Deployment's readiness probe asks: `GET /ready` on the readiness listener, answered by the
    // admin endpoint once the initial xDS is applied; nothing else is exposed there.
    let readiness = envoy.wait_for_listener(READINESS_LISTENER).await.unwrap();
    let ready = HttpRequest::get("/ready").send(readiness).await.unwrap();
    assert_eq!(ready.status, 200, "readiness: {}", ready.text());
    assert_eq!(ready.text().trim(), "LIVE");
    let stats = HttpRequest::get("/stats").send(readiness).await.unwrap();
    assert_eq!(
        stats.status, 404,
        "only /ready is routed to the admin endpoint"
    );

    // Step 4: an updated policy reaches the running Envoy (same process, no restart).
    cluster.apply_yaml(&policy("v2")).await.unwrap();
    let (tag, seen) = wait_for_tag(addr, "v2").await;
    assert_eq!((tag.as_str(), seen.as_str()), ("v2", "c1-v2"));
    assert!(
        envoy.exit_status().is_none(),
        "Envoy exited during the update"
    );

    // Step 5: a policy whose template does not compile (the CRD schema cannot tell) is rejected in its
    // status, with a reason, and the last good configuration keeps serving.
    let broken = policy_with_template("v3", "{{ request_header( }}");
    cluster.apply_yaml(&broken).await.unwrap();
    let rejected = expect_condition(
        &cluster,
        "trafficpolicy",
        ns,
        POLICY,
        ancestor,
        "Accepted",
        "False",
    )
    .await;
    let reason = rejected["reason"].as_str().unwrap_or_default();
    assert!(!reason.is_empty() && reason != "Accepted", "{rejected:#}");
    eprintln!("the broken TrafficPolicy is reported as: {rejected:#}");
    for attempt in 0..5 {
        let (tag, seen) = send_tagged(addr)
            .await
            .unwrap_or_else(|err| panic!("request {attempt} after the broken policy: {err}"));
        assert_eq!(
            (tag.as_str(), seen.as_str()),
            ("v2", "c1-v2"),
            "the last good policy should keep applying while the new one is rejected"
        );
    }

    // Step 6: deleting the Gateway garbage-collects its proxy objects.
    cluster
        .kubectl(&[
            "delete",
            "gateway",
            GATEWAY,
            "--namespace",
            APP_NAMESPACE,
            "--wait=false",
        ])
        .await
        .unwrap();
    for kind in PROXY_OBJECTS {
        expect_gone(&cluster, kind, APP_NAMESPACE, GATEWAY).await;
    }
    drop(envoy);
    assert!(
        controller.daemon.exit_status().is_none(),
        "the controller exited"
    );
}

/// Sends a request for the route with `x-client: c1`; returns the tag the upstream saw and the response's
/// `x-policy-seen`.
async fn send_tagged(gateway: SocketAddr) -> Result<(String, String), String> {
    let request = HttpRequest::get("/items")
        .header("host", HOSTNAME)
        .header("x-client", "c1");
    let response = request.send(gateway).await.map_err(|err| err.to_string())?;
    if response.status != 200 {
        return Err(format!("{}: {}", response.status, response.text()));
    }
    let seen = response.echo().map_err(|err| err.to_string())?;
    let header = |value: Option<&str>| value.unwrap_or("<absent>").to_owned();
    Ok((
        header(seen.header(TAG_HEADER)),
        header(response.header(SEEN_HEADER)),
    ))
}

/// Polls until requests come back tagged `tag`; returns the last (tag, seen) pair.
async fn wait_for_tag(gateway: SocketAddr, tag: &str) -> (String, String) {
    let what = format!("requests through the Gateway to be tagged {tag}");
    poll_until(&what, CLUSTER_WAIT, || async {
        let (seen_tag, seen) = send_tagged(gateway).await?;
        if seen_tag == tag {
            Ok((seen_tag, seen))
        } else {
            Err(format!("tagged {seen_tag:?}, response header {seen:?}"))
        }
    })
    .await
    .unwrap()
}
