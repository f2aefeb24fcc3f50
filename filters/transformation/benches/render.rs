//! Per-request cost of the transformation core: header snapshot + render, for a header-only transform
//! and a ~1 KB JSON body transform. Run: `cargo bench -p dynagate-transformation`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark whose setup is broken should stop loudly"
)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use dynagate_transformation::{
    CompileOptions, CompiledTransformation, Direction, HeaderSnapshot, OwnedMessage,
};

/// A typical request: pseudo headers, a browser's worth of regular headers.
const REQUEST_HEADERS: [(&str, &str); 14] = [
    (":method", "POST"),
    (":path", "/api/v1/orders?limit=10"),
    (":authority", "shop.example.com"),
    (":scheme", "https"),
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
    ),
    ("accept", "application/json"),
    ("accept-encoding", "gzip, deflate, br"),
    ("content-type", "application/json"),
    ("x-request-id", "7f0c3a52-0d7e-4c1e-9a8e-6f1b2f0e9b11"),
    ("x-user", "alice"),
    ("x-tenant", "acme"),
    ("cookie", "session=abc123; theme=dark"),
    ("x-forwarded-for", "10.0.0.1"),
    ("content-length", "1024"),
];

const HEADER_ONLY: &str = r#"{"request": {
    "set": [
        {"name": "x-static", "value": "gateway"},
        {"name": "x-user-id", "value": "{{ header(\"x-user\") }}"},
        {"name": "x-route", "value": "{{ header(\":path\") }}@{{ env(\"POD_NAME\") }}"}
    ],
    "add": [{"name": "x-session", "value": "{{ get_cookie(\"session\") }}"}],
    "remove": ["x-forwarded-for"]
}}"#;

const CONSTANT_ONLY: &str = r#"{"request": {
    "set": [{"name": "x-static", "value": "gateway"}, {"name": "x-pod", "value": "{{ env(\"POD_NAME\") }}"}],
    "remove": ["x-forwarded-for"]
}}"#;

const JSON_BODY: &str = r#"{"request": {
    "body": {
        "parseAs": "AsJson",
        "value": "{\"customer\": \"{{ raw_string(customer.name) }}\", \"items\": {{ items | length }}, \"total\": {{ total }}, \"skus\": [{% for item in items %}\"{{ item.sku }}\"{% if not loop.last %},{% endif %}{% endfor %}]}"
    },
    "set": [
        {"name": "x-customer-id", "value": "{{ customer.id }}"},
        {"name": "x-tier", "value": "{{ jsonpath(context(), \"$.customer.tier\") }}"}
    ]
}}"#;

/// A ~1 KB order document.
fn json_body() -> String {
    let items: Vec<String> = (0..11)
        .map(|i| format!(r#"{{"sku": "SKU-{i:04}", "name": "Item number {i}", "quantity": {q}, "price": {p}.99}}"#, q = i + 1, p = 10 + i))
        .collect();
    let body = format!(
        r#"{{"customer": {{"id": "c-42", "name": "Zoë \"Z\" Example", "tier": "gold", "email": "zoe@example.com"}}, "items": [{}], "total": 123.45, "currency": "EUR", "notes": "leave at the door"}}"#,
        items.join(", ")
    );
    assert!(
        (900..1300).contains(&body.len()),
        "body is {} bytes",
        body.len()
    );
    body
}

fn compile(json: &str) -> Arc<CompiledTransformation> {
    let options = CompileOptions::default().with_env([("POD_NAME", "gw-0")]);
    CompiledTransformation::from_json(json, &options).expect("bench config compiles")
}

fn capture() -> HeaderSnapshot {
    HeaderSnapshot::capture(
        REQUEST_HEADERS
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes())),
    )
}

fn bench(c: &mut Criterion) {
    let header_only = compile(HEADER_ONLY);
    let message = OwnedMessage::with_headers(REQUEST_HEADERS);
    c.bench_function("header_only/render", |b| {
        b.iter(|| {
            header_only
                .render(Direction::Request, black_box(&message))
                .map(|m| m.headers.len())
        })
    });
    c.bench_function("header_only/snapshot_and_render", |b| {
        b.iter(|| {
            let message = OwnedMessage {
                headers: Arc::new(capture()),
                ..OwnedMessage::default()
            };
            header_only
                .render(Direction::Request, black_box(&message))
                .map(|m| m.headers.len())
        })
    });

    let constant = compile(CONSTANT_ONLY);
    c.bench_function("constant_headers/render", |b| {
        b.iter(|| {
            constant
                .render(Direction::Request, black_box(&message))
                .map(|m| m.headers.len())
        })
    });

    let json = compile(JSON_BODY);
    let message = OwnedMessage::with_headers(REQUEST_HEADERS).body(json_body());
    let rendered = json.render(Direction::Request, &message).expect("renders");
    let body = rendered.body.expect("body replaced");
    serde_json::from_str::<serde_json::Value>(&body).expect("the rendered body is JSON");
    let raw = json_body();
    // Baseline: parsing alone, the floor of any JSON body transform.
    c.bench_function("json_body_1k/serde_json_parse_only", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&raw)).map(|v| v.is_object()))
    });
    c.bench_function("json_body_1k/render", |b| {
        b.iter(|| {
            json.render(Direction::Request, black_box(&message))
                .map(|m| m.body.map(|b| b.len()))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
