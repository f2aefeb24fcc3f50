use super::*;
use crate::test_support::objects;

fn keys(yaml: &str) -> Vec<String> {
    referenced_secrets(&objects(yaml))
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn gateway_certificate_refs_default_to_the_gateway_namespace() {
    let found = keys(
        r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  gatewayClassName: dynagate
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      certificateRefs:
      - name: local-cert
      - {name: shared-cert, namespace: certs, kind: Secret, group: ""}
      - {name: from-configmap, kind: ConfigMap}
      - {name: other-group, group: example.com, kind: Secret}
  - name: http
    port: 80
    protocol: HTTP
"#,
    );
    assert_eq!(
        found,
        ["Secret certs/shared-cert", "Secret edge/local-cert"]
    );
}

#[test]
fn backend_aws_secret_ref_is_in_the_backend_namespace() {
    let found = keys(
        r#"
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {name: lambda, namespace: fn}
spec:
  type: AWS
  aws:
    region: us-east-1
    auth: {type: Secret, secretRef: {name: aws-creds}}
    lambda: {functionName: hello}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {name: static, namespace: fn}
spec:
  static: {hosts: [{host: example.com, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: fn}
spec: {ports: [{port: 80}]}
"#,
    );
    assert_eq!(found, ["Secret fn/aws-creds"]);
}
