use super::*;

const SECOND: u64 = 1_000_000_000;

fn text(decimal: Decimal) -> String {
    String::from_utf8(decimal.as_bytes().to_vec()).unwrap()
}

#[test]
fn decimals_match_display() {
    for value in [0, 7, 10, 99, 1_000_000, u64::from(u32::MAX), u64::MAX] {
        assert_eq!(text(Decimal::new(value)), value.to_string());
    }
}

#[test]
fn reset_rounds_up_to_whole_seconds() {
    assert_eq!(seconds_until(Nanos(SECOND), Nanos(SECOND)), 0);
    assert_eq!(seconds_until(Nanos(SECOND), Nanos(2 * SECOND)), 0);
    assert_eq!(seconds_until(Nanos(SECOND + 1), Nanos(SECOND)), 1);
    assert_eq!(seconds_until(Nanos(61 * SECOND), Nanos(SECOND / 2)), 61);
}

#[test]
fn draft_03_headers_describe_the_quota() {
    let quota = Quota {
        limit: 10,
        remaining: 3,
        next_fill: Nanos(5 * SECOND + 300_000_000),
    };
    let headers = rate_limit_headers(&quota, Nanos(3 * SECOND));
    let rendered: Vec<(&str, String)> = headers.iter().map(|(n, v)| (*n, text(*v))).collect();
    assert_eq!(
        rendered,
        [
            ("x-ratelimit-limit", "10".to_owned()),
            ("x-ratelimit-remaining", "3".to_owned()),
            ("x-ratelimit-reset", "3".to_owned()),
        ]
    );
}

#[test]
fn retry_after_is_never_zero() {
    let soon = Quota {
        limit: 1,
        remaining: 0,
        next_fill: Nanos(SECOND + 50_000_000),
    };
    assert_eq!(text(retry_after(&soon, Nanos(SECOND))), "1");
    assert_eq!(text(retry_after(&soon, Nanos(2 * SECOND))), "1");
    let later = Quota {
        next_fill: Nanos(90 * SECOND),
        ..soon
    };
    assert_eq!(text(retry_after(&later, Nanos(SECOND))), "89");
}
