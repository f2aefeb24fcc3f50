use super::*;

#[test]
fn parses_registry_with_port_repository_tag_and_digest() {
    let image: ImageRef = "localhost:5000/team/envoy:1.40.0@sha256:abc"
        .parse()
        .unwrap();
    assert_eq!(image.registry.as_deref(), Some("localhost:5000"));
    assert_eq!(image.repository, "team/envoy");
    assert_eq!(image.tag.as_deref(), Some("1.40.0"));
    assert_eq!(image.digest.as_deref(), Some("sha256:abc"));
    // The digest pins the image, so it is what the reference prints.
    assert_eq!(image.to_string(), "localhost:5000/team/envoy@sha256:abc");
}

#[test]
fn docker_hub_paths_have_no_registry() {
    let image: ImageRef = "envoyproxy/envoy:v1.40.0".parse().unwrap();
    assert_eq!(image.registry, None);
    assert_eq!(image.repository, "envoyproxy/envoy");
    assert_eq!(image.to_string(), "envoyproxy/envoy:v1.40.0");
    let bare: ImageRef = "envoy".parse().unwrap();
    assert_eq!((bare.repository.as_str(), bare.tag), ("envoy", None));
}

#[test]
fn rejects_empty_parts() {
    for text in ["", "a b", "repo:", "repo@", "ghcr.io/"] {
        assert!(text.parse::<ImageRef>().is_err(), "{text:?}");
    }
}

#[test]
fn overrides_replace_each_part_and_a_tag_drops_the_default_digest() {
    let base: ImageRef = "ghcr.io/dynagate/envoy:1@sha256:old".parse().unwrap();
    let image = Image {
        registry: Some("registry.example".into()),
        tag: Some("2".into()),
        ..Image::default()
    };
    assert_eq!(
        base.with_overrides(&image).to_string(),
        "registry.example/dynagate/envoy:2"
    );
    let digest_only = Image {
        digest: Some("sha256:new".into()),
        ..Image::default()
    };
    assert_eq!(
        base.with_overrides(&digest_only).to_string(),
        "ghcr.io/dynagate/envoy@sha256:new"
    );
}
