//! Translation speed for 1k and 10k HTTPRoutes with policies, and the extra peak memory of one run.
//! Timings exclude dropping the result (`iter_with_large_drop`).
//!
//! Each route has its own hostname, two matches and a backend among 100 Services; every fifth route has a
//! route-level TrafficPolicy (transformation) and every tenth a rule-level one (local rate limit); one
//! Gateway-level policy applies everywhere.
#![allow(
    clippy::expect_used,
    reason = "bench setup: bad generated input should fail loudly"
)]

use std::fmt::Write as _;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use dynagate_api::manifest::parse_manifests;
use dynagate_ir::{Resources, translate};

fn manifests(routes: usize) -> String {
    let mut text = String::from(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: c}\nspec: {controllerName: dynagate.dev/gateway-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: c\n  listeners: [{name: http, port: 8080, protocol: HTTP}]\n---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: gateway-wide}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n  transformation: {response: {set: [{name: x-gateway, value: '1'}]}}\n",
    );
    for s in 0..100 {
        let _ = write!(
            text,
            "---\napiVersion: v1\nkind: Service\nmetadata: {{name: svc-{s}}}\nspec: {{ports: [{{name: http, port: 80}}]}}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {{name: svc-{s}-1, labels: {{kubernetes.io/service-name: svc-{s}}}}}\naddressType: IPv4\nports: [{{name: http, port: 8080}}]\nendpoints: [{{addresses: [10.0.{}.{}]}}]\n",
            s / 250,
            s % 250 + 1
        );
    }
    for r in 0..routes {
        let _ = write!(
            text,
            "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: route-{r}}}\nspec:\n  parentRefs: [{{name: gw}}]\n  hostnames: [host-{r}.example.com]\n  rules:\n  - name: main\n    matches:\n    - path: {{type: PathPrefix, value: /api/{r}}}\n    - path: {{type: Exact, value: /health}}\n      headers: [{{name: x-probe, value: '1'}}]\n    backendRefs: [{{name: svc-{}, port: 80}}]\n",
            r % 100
        );
        if r % 5 == 0 {
            let _ = write!(
                text,
                "---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {{name: route-{r}}}\nspec:\n  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: route-{r}}}]\n  transformation: {{request: {{set: [{{name: x-route, value: '{{{{ header(\"x-in\") }}}}'}}]}}}}\n"
            );
        }
        if r % 10 == 0 {
            let _ = write!(
                text,
                "---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {{name: rule-{r}}}\nspec:\n  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: route-{r}, sectionName: main}}]\n  rateLimit: {{local: {{tokenBucket: {{maxTokens: 100, fillInterval: 1s}}}}}}\n"
            );
        }
    }
    text
}

fn resources(routes: usize) -> Resources {
    let parsed = parse_manifests(Path::new("bench.yaml"), &manifests(routes));
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors.first());
    Resources::new(parsed.objects).expect("no duplicates")
}

/// Peak resident set size of this process so far, in KiB (Linux), to report memory without an allocator hook.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn bench(c: &mut Criterion) {
    for (label, routes) in [("1k", 1_000), ("10k", 10_000)] {
        let input = resources(routes);
        let before = peak_rss_kib();
        let started = std::time::Instant::now();
        let output = translate(&input);
        let elapsed = started.elapsed();
        let after = peak_rss_kib();
        let routes_out: usize = output
            .proxies
            .values()
            .flat_map(|p| &p.route_configs)
            .flat_map(|rc| &rc.virtual_hosts)
            .map(|v| v.routes.len())
            .sum();
        if let (Some(before), Some(after)) = (before, after) {
            println!(
                "translate/{label}: first run {elapsed:?}, {routes_out} Envoy routes, peak RSS +{} KiB (total {after} KiB)",
                after.saturating_sub(before)
            );
        }
        c.bench_function(&format!("translate/{label}"), |b| {
            b.iter_with_large_drop(|| translate(std::hint::black_box(&input)))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
