//! Envoy protobuf descriptors for tests: decode packed resources into proto3 JSON (with `Any` expanded).

use std::path::Path;
use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};

/// Envoy's descriptors, from the `envoy-types` crate's bundled `types.bin` (found through `cargo metadata`).
pub fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        // Offline metadata only resolves what was downloaded, i.e. the host platform's dependencies.
        let rustc = std::process::Command::new(
            std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned()),
        )
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
        let host = String::from_utf8_lossy(&rustc.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
            .expect("host triple");
        let output = std::process::Command::new(cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--offline",
                "--filter-platform",
                &host,
                "--manifest-path",
            ])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .output()
            .expect("run cargo metadata");
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let manifest = metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "envoy-types")
            .and_then(|p| p["manifest_path"].as_str())
            .expect("envoy-types in cargo metadata")
            .to_owned();
        let descriptors = Path::new(&manifest)
            .parent()
            .unwrap()
            .join("src/generated/types.bin");
        DescriptorPool::decode(std::fs::read(&descriptors).unwrap().as_slice())
            .expect("decode envoy descriptors")
    })
}

pub fn to_json(type_url: &str, bytes: &[u8]) -> serde_json::Value {
    let name = type_url.rsplit('/').next().unwrap();
    let descriptor = pool()
        .get_message_by_name(name)
        .unwrap_or_else(|| panic!("unknown type {name}"));
    let message = DynamicMessage::decode(descriptor, bytes).unwrap();
    let options = SerializeOptions::new().skip_default_fields(true);
    message
        .serialize_with_options(serde_json::value::Serializer, &options)
        .unwrap()
}
