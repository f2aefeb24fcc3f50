//! The controller as the chart deploys it, run as a local process: the arguments and environment of the
//! chart's Deployment (addresses moved to free loopback ports, Pod fields filled in), authenticated as the
//! chart's ServiceAccount.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use dynagate_e2e::kube::{Daemon, KubeCluster};
use dynagate_e2e::module_dir;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, EnvVar};
use kube::api::Api;

use crate::installed::{NAMESPACE, RELEASE};

/// The name this local "Pod" goes by (`POD_NAME`, the leader election identity).
const POD_NAME: &str = "dynagate-local-0";
/// The controller prints this once its first complete view of the cluster is published.
const READY_LINE: &str = "dynagate ready:";
/// Discovery, the initial lists of every watched kind and leader election, on a busy machine.
const READY_WAIT: Duration = Duration::from_secs(90);

/// `dynagate run --kubernetes`, running; killed on drop.
pub struct RunningController {
    /// The process (its log is printed when a test fails).
    pub daemon: Daemon,
    /// Where it serves ADS.
    pub xds: SocketAddr,
    /// Where it serves /healthz, /metrics and /status.
    pub admin: SocketAddr,
}

/// The `dynagate` binary: `DYNAGATE_BIN`, else the one `make modules` builds next to the modules.
fn controller_binary() -> PathBuf {
    let binary = std::env::var_os("DYNAGATE_BIN")
        .map_or_else(|| module_dir().unwrap().join("dynagate"), PathBuf::from);
    assert!(
        binary.is_file(),
        "{} does not exist: run `make modules` (it builds the controller too) or set DYNAGATE_BIN",
        binary.display()
    );
    binary
}

/// Starts the controller the way the installed chart's Deployment runs it, and waits for its ready line.
pub async fn start_as_deployed(cluster: &KubeCluster) -> RunningController {
    let deployments: Api<Deployment> = Api::namespaced(cluster.client(), NAMESPACE);
    let deployment = deployments.get(RELEASE).await.unwrap();
    let pod = deployment.spec.unwrap().template.spec.unwrap();
    let service_account = pod.service_account_name.unwrap();
    let container = pod.containers.into_iter().next().unwrap();

    let kubeconfig = cluster
        .service_account_kubeconfig(NAMESPACE, &service_account)
        .await
        .unwrap();
    let mut env = chart_env(&container);
    // A debugging knob: the controller's log filter for this run, over the chart's.
    if let Ok(filter) = std::env::var("DYNAGATE_E2E_CONTROLLER_LOG") {
        env.push(("DYNAGATE_LOG".to_owned(), filter));
    }
    env.push(("KUBECONFIG".to_owned(), kubeconfig.display().to_string()));
    let args = local_args(&container);
    let daemon =
        Daemon::spawn("dynagate", &controller_binary(), &args, &env, cluster.dir()).unwrap();

    let line = daemon.wait_for_line(READY_LINE, READY_WAIT).await.unwrap();
    let address = |key: &str| -> SocketAddr {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(key))
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no {key}ADDR in the ready line {line:?}"))
    };
    RunningController {
        xds: address("xds="),
        admin: address("admin="),
        daemon,
    }
}

/// The container's arguments, listening on free loopback ports instead (Pods own their ports; a local
/// process shares the machine).
fn local_args(container: &Container) -> Vec<String> {
    const ADDRESS_FLAGS: [&str; 2] = ["--xds-addr", "--admin-addr"];
    let chart_args = container.args.clone().unwrap_or_default();
    assert!(
        chart_args.iter().any(|arg| arg == "--kubernetes"),
        "the chart's controller does not run with --kubernetes: {chart_args:?}"
    );
    let mut args = Vec::new();
    let mut skip_value = false;
    for arg in chart_args {
        let flag = arg.split_once('=').map_or(arg.as_str(), |(flag, _)| flag);
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if ADDRESS_FLAGS.contains(&flag) {
            skip_value = !arg.contains('=');
            continue;
        }
        args.push(arg);
    }
    args.extend(ADDRESS_FLAGS.map(|flag| format!("{flag}=127.0.0.1:0")));
    args
}

/// The container's environment, with the Pod fields the kubelet would fill in.
fn chart_env(container: &Container) -> Vec<(String, String)> {
    container
        .env
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(
            |EnvVar {
                 name,
                 value,
                 value_from,
                 ..
             }| {
                let value = match (value, value_from) {
                    (Some(value), None) => value,
                    (None, Some(source)) => {
                        let field = source.field_ref.map(|field| field.field_path);
                        match field.as_deref() {
                            Some("metadata.name") => POD_NAME.to_owned(),
                            Some("metadata.namespace") => NAMESPACE.to_owned(),
                            other => {
                                panic!("env {name}: no local value for the Pod field {other:?}")
                            }
                        }
                    }
                    (None, None) => String::new(),
                    (Some(_), Some(_)) => panic!("env {name} has both a value and a source"),
                };
                (name, value)
            },
        )
        .collect()
}
