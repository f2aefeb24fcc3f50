//! `dynagate run` flags that become translation options.

use clap::{CommandFactory as _, Parser as _};

use super::{Cli, Command};

fn run_args(extra: &[&str]) -> super::RunArgs {
    let mut args = vec!["dynagate", "run", "--manifests", "m"];
    args.extend_from_slice(extra);
    match Cli::try_parse_from(args).unwrap().command {
        Command::Run(args) => args,
        other => panic!("run expected, got {other:?}"),
    }
}

#[test]
fn the_sts_endpoint_flag_overrides_where_irsa_exchanges_tokens() {
    let options = run_args(&["--aws-sts-endpoint", "http://127.0.0.1:4566"])
        .translate_options()
        .unwrap();
    let endpoint = options.aws_sts_endpoint.unwrap();
    assert!(!endpoint.tls);
    assert_eq!(endpoint.authority(), "127.0.0.1:4566");
}

#[test]
fn a_malformed_sts_endpoint_is_refused_with_the_url() {
    let error = run_args(&["--aws-sts-endpoint", "sts.internal:443/path"])
        .translate_options()
        .unwrap_err()
        .to_string();
    assert!(error.contains("sts.internal:443/path"), "{error}");
}

#[test]
fn the_sts_endpoint_defaults_to_the_standard_aws_sdk_variable() {
    let command = Cli::command();
    let run = command.find_subcommand("run").unwrap();
    let flag = run
        .get_arguments()
        .find(|arg| arg.get_long() == Some("aws-sts-endpoint"))
        .unwrap();
    assert_eq!(
        flag.get_env().and_then(|name| name.to_str()),
        Some("AWS_ENDPOINT_URL_STS")
    );
}

#[test]
fn kubernetes_mode_needs_no_manifest_directory() {
    let Command::Run(args) = Cli::try_parse_from(["dynagate", "run", "--kubernetes"])
        .unwrap()
        .command
    else {
        panic!("run expected");
    };
    assert!(args.kubernetes);
    assert_eq!(args.manifests, None);
}

#[test]
fn run_needs_a_source_and_only_one() {
    assert!(Cli::try_parse_from(["dynagate", "run"]).is_err());
    assert!(Cli::try_parse_from(["dynagate", "run", "--kubernetes", "--manifests", "m"]).is_err());
}
