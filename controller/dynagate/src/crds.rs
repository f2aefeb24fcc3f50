//! Our CRDs (`gateway.kgateway.dev/v1alpha1`) as CustomResourceDefinitions generated from the `dynagate-api`
//! types, made structural so a real API server accepts them, and rendered as the chart's `crds/` file.

use dynagate_api::k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use dynagate_api::kgateway::{
    Backend, DirectResponse, GatewayParameters, HttpListenerPolicy, ListenerPolicy, TrafficPolicy,
};
use kube::CustomResourceExt as _;

mod structural;

#[cfg(test)]
mod tests;

/// Path of the generated file, relative to the repository root (Helm installs `crds/` before templates).
pub const CHART_CRDS_PATH: &str = "charts/dynagate/crds/gateway.kgateway.dev.yaml";

/// First lines of the rendered YAML: where it comes from and how to regenerate it.
const HEADER: &str = "\
# Generated from the Rust types in controller/api by `dynagate crds`; do not edit.
# Regenerate: cargo run -q -p dynagate-controller -- crds > charts/dynagate/crds/gateway.kgateway.dev.yaml
";

/// The YAML could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("cannot render CRD {name} as YAML: {source}")]
pub struct RenderError {
    name: String,
    #[source]
    source: serde_yaml::Error,
}

/// Every CRD dynagate serves, structural, sorted by name so the rendered YAML is stable.
pub fn definitions() -> Vec<CustomResourceDefinition> {
    let mut crds = vec![
        Backend::crd(),
        DirectResponse::crd(),
        GatewayParameters::crd(),
        HttpListenerPolicy::crd(),
        ListenerPolicy::crd(),
        TrafficPolicy::crd(),
    ];
    for crd in &mut crds {
        structural::make_structural(crd);
    }
    crds.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    crds
}

/// Renders [`definitions`] as multi-document YAML, exactly the content of [`CHART_CRDS_PATH`].
pub fn render_yaml() -> Result<String, RenderError> {
    let mut out = String::from(HEADER);
    for crd in definitions() {
        let yaml = serde_yaml::to_string(&crd).map_err(|source| RenderError {
            name: crd.metadata.name.clone().unwrap_or_default(),
            source,
        })?;
        out.push_str("---\n");
        out.push_str(&yaml);
    }
    Ok(out)
}
