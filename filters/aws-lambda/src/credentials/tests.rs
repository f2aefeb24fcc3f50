mod sts;
mod web_identity;

use super::*;
use crate::clock::ManualClock;
use dynagate_config::aws_lambda::{SecretCredentials, StsEndpoint};
use std::collections::BTreeMap;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    move |name: &str| map.get(name).cloned()
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(ManualClock::at_unix(1_714_564_800))
}

fn sts() -> StsEndpoint {
    StsEndpoint {
        cluster: "sts".to_owned(),
        authority: "sts.us-east-1.amazonaws.com".to_owned(),
    }
}

fn resolve(config: &LambdaCredentials, vars: &[(&str, &str)]) -> CredentialSource {
    CredentialSource::resolve(
        config,
        &env(vars),
        &clock(),
        &WebIdentityProviders::default(),
    )
}

fn ready(source: &CredentialSource) -> Arc<SigningCredentials> {
    match source.lookup() {
        Lookup::Ready {
            credentials,
            refresh: None,
        } => credentials,
        other => panic!("expected ready keys, got {other:?}"),
    }
}

#[test]
fn secret_keys_win_over_the_environment() {
    let config = LambdaCredentials::Secret(SecretCredentials {
        access_key: "AKIDSECRET".into(),
        secret_key: "from-secret".into(),
        session_token: Some("tok".into()),
    });
    let source = resolve(
        &config,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "env"),
        ],
    );
    let keys = ready(&source);
    assert_eq!(keys.access_key_id(), "AKIDSECRET");
    assert!(keys.has_session_token());
}

#[test]
fn environment_keys_are_read_at_resolve_time() {
    let config = LambdaCredentials::default();
    let source = resolve(
        &config,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "env"),
            ("AWS_SESSION_TOKEN", "t"),
        ],
    );
    let keys = ready(&source);
    assert_eq!(
        (keys.access_key_id(), keys.has_session_token()),
        ("AKIDENV", true)
    );
    // Half a key pair is no key pair.
    assert!(matches!(
        resolve(&config, &[("AWS_ACCESS_KEY_ID", "AKIDENV")]),
        CredentialSource::Unavailable(_)
    ));
}

#[test]
fn irsa_needs_both_variables_and_an_sts_endpoint() {
    let irsa = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
    ];
    let with_sts = LambdaCredentials::Environment(EnvironmentCredentials { sts: Some(sts()) });
    let CredentialSource::WebIdentity(provider) = resolve(&with_sts, &irsa) else {
        panic!("IRSA expected")
    };
    assert_eq!(provider.settings().role_arn, "arn:aws:iam::1:role/r");
    assert_eq!(provider.settings().session_name, "dynagate");

    let CredentialSource::Unavailable(reason) = resolve(&LambdaCredentials::default(), &irsa)
    else {
        panic!("unavailable expected")
    };
    assert!(reason.contains("STS"), "{reason}");
    assert!(matches!(
        resolve(&with_sts, &irsa[..1]),
        CredentialSource::Unavailable(_)
    ));
    // Static environment keys take precedence over IRSA.
    let both = [
        irsa[0],
        irsa[1],
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "env"),
    ];
    assert!(matches!(
        resolve(&with_sts, &both),
        CredentialSource::Static(_)
    ));
}

#[test]
fn nothing_configured_is_unavailable_with_a_reason() {
    let source = resolve(&LambdaCredentials::default(), &[]);
    let Lookup::Unavailable { reason } = source.lookup() else {
        panic!("unavailable expected")
    };
    assert!(reason.contains("AWS_ACCESS_KEY_ID"), "{reason}");
}

#[test]
fn debug_never_shows_keys() {
    let keys = SigningCredentials::new("AKIDEXAMPLE", "the-secret", Some("the-token"), None);
    let debug = format!("{keys:?}");
    assert!(debug.contains("AKID****"), "{debug}");
    assert!(
        !debug.contains("the-secret")
            && !debug.contains("the-token")
            && !debug.contains("AKIDEXAMPLE")
    );
}
