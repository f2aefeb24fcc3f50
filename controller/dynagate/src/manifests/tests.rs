use std::fs;
use std::path::Path;

use super::{is_manifest_file, load_dir};

const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec: {}
";

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

#[test]
fn yaml_and_yml_files_are_manifests_hidden_and_other_files_are_not() {
    assert!(is_manifest_file(Path::new("dir/a.yaml")));
    assert!(is_manifest_file(Path::new("a.yml")));
    assert!(!is_manifest_file(Path::new("a.json")));
    assert!(!is_manifest_file(Path::new(".a.yaml")));
    assert!(!is_manifest_file(Path::new("a.yaml.swp")));
}

#[test]
fn every_manifest_under_the_directory_is_read_in_path_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b.yaml", ROUTE);
    write(dir.path(), "nested/a.yml", &ROUTE.replace("web", "api"));
    write(dir.path(), "notes.txt", "not yaml");
    write(
        dir.path(),
        ".hidden/c.yaml",
        &ROUTE.replace("web", "hidden"),
    );

    let set = load_dir(dir.path()).unwrap();
    let names: Vec<&str> = set.objects.iter().map(|o| o.name()).collect();
    assert_eq!(names, ["web", "api"], "b.yaml sorts before nested/a.yml");
    assert_eq!(set.files.len(), 2);
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    assert_eq!(set.origins[1], dir.path().join("nested/a.yml"));
}

#[test]
fn a_bad_document_is_an_error_located_in_its_file_and_the_rest_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", ROUTE);
    let policy = "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: p}\nspec:\n  bogus: 1\n";
    write(
        dir.path(),
        "bad.yaml",
        &format!("{ROUTE}---\n{policy}").replace("name: web", "name: other"),
    );
    let set = load_dir(dir.path()).unwrap();
    let names: Vec<&str> = set.objects.iter().map(|o| o.name()).collect();
    assert_eq!(
        names,
        ["other", "web"],
        "the good document of bad.yaml and good.yaml"
    );
    assert_eq!(set.errors.len(), 1, "{:?}", set.errors);
    assert_eq!(set.errors[0].location.file, dir.path().join("bad.yaml"));
    assert_eq!(set.errors[0].location.document, 2);
    assert_eq!(set.errors[0].field, "spec.bogus");
}

#[test]
fn an_object_defined_twice_is_reported_with_both_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", ROUTE);
    write(dir.path(), "b.yaml", ROUTE);
    let set = load_dir(dir.path()).unwrap();
    let duplicates = set.duplicate_origins();
    assert_eq!(duplicates.len(), 1);
    let files: Vec<&Path> = duplicates.values().next().unwrap().clone();
    assert_eq!(
        files,
        [dir.path().join("a.yaml"), dir.path().join("b.yaml")]
    );
}

#[test]
fn a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(load_dir(&dir.path().join("absent")).is_err());
}
