//! The command line: `dynagate run | bootstrap | validate | crds`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use dynagate_ir::{GatewayKey, TranslateOptions};

use crate::bootstrap::{BootstrapParams, DEFAULT_ENVOY_ADMIN_PORT, XdsAddress};

/// dynagate: a Gateway API controller serving xDS to stock Envoy with the libdynagate.so filters.
#[derive(Debug, Parser)]
#[command(name = "dynagate", version, about)]
pub struct Cli {
    /// Log filter (`info`, `debug`, `dynagate_xds=debug,info`, ...).
    #[arg(long, global = true, env = "DYNAGATE_LOG", default_value = "info")]
    pub log: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve ADS from a directory of manifests (`--manifests`) or a cluster (`--kubernetes`), following
    /// every change.
    Run(RunArgs),
    /// Print the Envoy bootstrap (YAML) that connects one Envoy to one Gateway.
    Bootstrap(BootstrapArgs),
    /// Check a directory of manifests offline; exits non-zero on any error.
    Validate(ValidateArgs),
    /// Print our CustomResourceDefinitions (multi-document YAML), generated from the API types.
    Crds,
}

/// `dynagate run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Directory of Kubernetes-style manifests (`*.yaml`, `*.yml`, multi-document, searched recursively).
    #[arg(
        long,
        required_unless_present = "kubernetes",
        conflicts_with = "kubernetes"
    )]
    pub manifests: Option<PathBuf>,
    /// Watch a Kubernetes cluster instead of a directory (in-cluster config, or KUBECONFIG / ~/.kube/config).
    #[arg(long)]
    pub kubernetes: bool,
    /// `--kubernetes` only.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Where to serve ADS (gRPC); port 0 picks a free one (printed on the `dynagate ready:` line).
    #[arg(long, default_value = "127.0.0.1:18000")]
    pub xds_addr: String,
    /// Where to serve /healthz, /metrics and /status.
    #[arg(long, default_value = "127.0.0.1:19000")]
    pub admin_addr: String,
    /// STS endpoint (`http(s)://host[:port]`) that Envoy exchanges IRSA web identity tokens at for
    /// Lambda Backends without `auth`, instead of `sts.<region>.amazonaws.com` (a VPC endpoint, a
    /// test fake). Defaults to the standard AWS SDK variable of the controller's environment.
    #[arg(long, env = "AWS_ENDPOINT_URL_STS")]
    pub aws_sts_endpoint: Option<String>,
}

impl RunArgs {
    /// The translation options these arguments ask for.
    pub fn translate_options(&self) -> anyhow::Result<TranslateOptions> {
        let options = TranslateOptions::default();
        match &self.aws_sts_endpoint {
            Some(url) => options
                .with_aws_sts_endpoint(url)
                .map_err(anyhow::Error::msg),
            None => Ok(options),
        }
    }
}

/// `dynagate run --kubernetes` settings (the chart sets them through the environment).
#[derive(Debug, Args)]
#[command(next_help_heading = "Kubernetes (--kubernetes)")]
pub struct ClusterArgs {
    /// Namespace of the controller: its leader-election Lease, GatewayClass parametersRef default
    /// (default: the kubeconfig context's, or the service account's).
    #[arg(long, env = "POD_NAMESPACE")]
    pub namespace: Option<String>,
    /// This replica's identity in leader election (default: the host name).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// Name of the leader-election Lease.
    #[arg(long, env = "DYNAGATE_LEASE_NAME")]
    pub lease_name: Option<String>,
    /// Envoy image (with libdynagate.so) to deploy for each Gateway; without it no proxies are deployed.
    #[arg(long, env = "DYNAGATE_ENVOY_IMAGE")]
    pub envoy_image: Option<String>,
    /// `imagePullPolicy` of the deployed Envoy containers (default: the cluster's).
    #[arg(long, env = "DYNAGATE_ENVOY_IMAGE_PULL_POLICY")]
    pub envoy_image_pull_policy: Option<String>,
    /// Where deployed proxies reach this controller's xDS server: `host:port` of its Service.
    #[arg(long, env = "DYNAGATE_XDS_SERVICE")]
    pub xds_service: Option<String>,
}

impl ClusterArgs {
    /// The settings of `run --kubernetes`.
    pub fn settings(&self) -> crate::kubernetes::KubernetesSettings {
        crate::kubernetes::KubernetesSettings {
            namespace: self.namespace.clone(),
            identity: self.identity.clone(),
            lease_name: self.lease_name.clone(),
            envoy_image: self.envoy_image.clone(),
            envoy_image_pull_policy: self.envoy_image_pull_policy.clone(),
            xds_service: self.xds_service.clone(),
        }
    }
}

/// `dynagate bootstrap`.
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The Gateway this Envoy serves, as NAMESPACE/NAME.
    #[arg(long)]
    pub gateway: GatewayKey,
    /// Where Envoy reaches the controller's ADS server.
    #[arg(long)]
    pub xds_addr: XdsAddress,
    /// Directory holding libdynagate.so (Envoy reads it from ENVOY_DYNAMIC_MODULES_SEARCH_PATH).
    #[arg(long)]
    pub module_dir: Option<PathBuf>,
    /// Envoy admin port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = DEFAULT_ENVOY_ADMIN_PORT)]
    pub admin_port: u16,
    /// Envoy node.id (default: the Gateway's NAMESPACE/NAME).
    #[arg(long)]
    pub node_id: Option<String>,
}

/// `dynagate validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Directory of manifests.
    pub dir: PathBuf,
}

/// Runs a parsed command line.
pub fn execute(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Run(args) => {
            init_logging(&cli.log);
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(err) => return fail(&anyhow::Error::from(err)),
            };
            let options = match args.translate_options() {
                Ok(options) => options,
                Err(err) => return fail(&err),
            };
            let result = match &args.manifests {
                Some(manifests) => runtime.block_on(crate::run::run(
                    manifests,
                    &args.xds_addr,
                    &args.admin_addr,
                    options,
                )),
                None => runtime.block_on(crate::kubernetes::run(
                    args.cluster.settings(),
                    &args.xds_addr,
                    &args.admin_addr,
                    options,
                )),
            };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => fail(&err),
            }
        }
        Command::Bootstrap(args) => {
            let params = BootstrapParams {
                module_dir: args.module_dir,
                admin_port: args.admin_port,
                node_id: args.node_id,
                ..BootstrapParams::new(args.gateway, args.xds_addr)
            };
            match params.render_yaml() {
                Ok(yaml) => {
                    print!("{yaml}");
                    ExitCode::SUCCESS
                }
                Err(err) => fail(&anyhow::Error::from(err)),
            }
        }
        Command::Validate(args) => {
            match crate::validate::validate(&args.dir, &mut std::io::stdout().lock()) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(err) => fail(&anyhow::Error::from(err)),
            }
        }
        Command::Crds => match crate::crds::render_yaml() {
            Ok(yaml) => {
                print!("{yaml}");
                ExitCode::SUCCESS
            }
            Err(err) => fail(&anyhow::Error::from(err)),
        },
    }
}

fn fail(err: &anyhow::Error) -> ExitCode {
    eprintln!("dynagate: {err:#}");
    ExitCode::FAILURE
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|err| {
        eprintln!("dynagate: bad --log filter {filter:?} ({err}); using info");
        tracing_subscriber::EnvFilter::new("info")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests;
