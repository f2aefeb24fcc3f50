//! The config contract: parsing as users write it, unknown keys, CRD validation.

use super::*;

const FULL: &str = r#"{
  "request": {
    "set": [{"name": "x-a", "value": "{{ header(\"x-b\") }}"}, {"name": "x-empty"}],
    "add": [{"name": "x-add", "value": "v"}],
    "remove": ["x-gone"],
    "body": {"parseAs": "AsJson", "value": "{{ context() }}"},
    "dynamicMetadata": [{"namespace": "ns", "key": "k", "value": {"stringValue": "{{ 1 }}"}}]
  },
  "response": {"set": [{"name": ":status", "value": "201"}], "body": {"parseAs": "None"}}
}"#;

#[test]
fn parses_every_field_as_users_write_it() {
    let policy = TransformationPolicy::from_json(FULL).unwrap();
    let request = policy.request.as_ref().unwrap();
    assert_eq!(request.set[0].name, "x-a");
    assert_eq!(
        request.set[0].value.as_deref(),
        Some("{{ header(\"x-b\") }}")
    );
    assert_eq!(request.set[1].value, None);
    assert_eq!(request.add[0].value.as_deref(), Some("v"));
    assert_eq!(request.remove, vec!["x-gone".to_owned()]);
    let body = request.body.as_ref().unwrap();
    assert_eq!(body.parse_as, BodyParseBehavior::AsJson);
    assert_eq!(request.dynamic_metadata[0].namespace, "ns");
    assert_eq!(
        request.dynamic_metadata[0].value.string_value.as_deref(),
        Some("{{ 1 }}")
    );
    let response = policy.response.as_ref().unwrap();
    assert_eq!(
        response.body.as_ref().unwrap().parse_as,
        BodyParseBehavior::None
    );
}

#[test]
fn serialises_back_to_the_same_camel_case_json() {
    let policy = TransformationPolicy::from_json(FULL).unwrap();
    let json: serde_json::Value = serde_json::from_str(&policy.to_json()).unwrap();
    assert_eq!(json["request"]["body"]["parseAs"], "AsJson");
    assert_eq!(
        json["request"]["dynamicMetadata"][0]["value"]["stringValue"],
        "{{ 1 }}"
    );
    // Absent fields stay absent: no `value: null`, no empty lists.
    assert!(json["request"]["set"][1].get("value").is_none());
    assert!(json["response"].get("add").is_none());
    assert_eq!(
        TransformationPolicy::from_json(&policy.to_json()).unwrap(),
        policy
    );
}

#[test]
fn parse_as_defaults_to_as_string() {
    let policy =
        TransformationPolicy::from_json(r#"{"request": {"body": {"value": "x"}}}"#).unwrap();
    let body = policy.request.unwrap().body.unwrap();
    assert_eq!(body.parse_as, BodyParseBehavior::AsString);
}

#[test]
fn unknown_keys_are_rejected_naming_the_key() {
    for (json, key) in [
        (r#"{"requests": {}}"#, "requests"),
        (r#"{"request": {"sett": []}}"#, "sett"),
        (
            r#"{"request": {"set": [{"name": "a", "val": "b"}]}}"#,
            "val",
        ),
        (r#"{"request": {"body": {"parseas": "AsJson"}}}"#, "parseas"),
        (
            r#"{"response": {"dynamicMetadata": [{"namespace": "n", "key": "k", "value": {"intValue": 1}}]}}"#,
            "intValue",
        ),
    ] {
        let error = TransformationPolicy::from_json(json)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!("unknown field `{key}`")),
            "{json}: {error}"
        );
    }
}

#[test]
fn unknown_parse_as_is_rejected_naming_the_value() {
    let error = TransformationPolicy::from_json(r#"{"request": {"body": {"parseAs": "AsXml"}}}"#)
        .unwrap_err()
        .to_string();
    assert!(error.contains("AsXml"), "{error}");
}

#[test]
fn emptiness_ignores_parse_only_bodies() {
    let empty =
        TransformationPolicy::from_json(r#"{"request": {"body": {"parseAs": "AsJson"}}}"#).unwrap();
    assert!(empty.is_empty());
    assert!(!TransformationPolicy::from_json(FULL).unwrap().is_empty());
    let remove_only =
        TransformationPolicy::from_json(r#"{"response": {"remove": ["a"]}}"#).unwrap();
    assert!(!remove_only.is_empty());
}

#[test]
fn a_valid_policy_passes_validation() {
    TransformationPolicy::from_json(FULL)
        .unwrap()
        .validate()
        .unwrap();
}

#[test]
fn validation_reports_every_violation_with_its_path() {
    let mut transform = Transform {
        set: vec![
            header("x-a"),
            header("x-a"),
            header("bad name"),
            header(":"),
        ],
        remove: vec!["x-r".into(), "x-r".into()],
        dynamic_metadata: vec![DynamicMetadataTransformation::default()],
        ..Transform::default()
    };
    transform.add = (0..=MAX_ENTRIES)
        .map(|i| header(&format!("x-{i}")))
        .collect();
    let policy = TransformationPolicy {
        request: Some(transform),
        response: None,
    };
    let fields: Vec<String> = policy
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(
        fields,
        [
            "request.set[1].name",
            "request.set[2].name",
            "request.set[3].name",
            "request.add",
            "request.remove[1]",
            "request.dynamicMetadata[0].namespace",
            "request.dynamicMetadata[0].key",
            "request.dynamicMetadata[0].value.stringValue",
        ]
    );
}

#[test]
fn header_name_syntax_follows_kgateway_pattern() {
    for good in ["x-a", ":path", "X_Weird.Name~1", "a"] {
        assert_eq!(header_name_syntax(good), Ok(()), "{good}");
    }
    let too_long = "a".repeat(MAX_NAME_LEN + 1);
    for bad in [
        "",
        ":",
        "::path",
        "a b",
        "a:b",
        "é",
        "x\r\n",
        too_long.as_str(),
    ] {
        assert!(header_name_syntax(bad).is_err(), "{bad:?}");
    }
}

fn header(name: &str) -> HeaderTransformation {
    HeaderTransformation {
        name: name.to_owned(),
        value: Some("v".to_owned()),
    }
}
