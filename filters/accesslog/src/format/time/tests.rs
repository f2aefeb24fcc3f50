use super::*;
use calendar::{civil_from_days, days_from_civil};
use std::time::Duration;
use std::time::UNIX_EPOCH;

fn at(seconds: u64, nanos: u32) -> SystemTime {
    UNIX_EPOCH + Duration::new(seconds, nanos)
}

fn render(format: &str, time: SystemTime) -> String {
    let mut out = Vec::new();
    TimeFormat::compile(format).unwrap().write(time, &mut out);
    String::from_utf8(out).unwrap()
}

/// One line Envoy 1.40 wrote for `%START_TIME(<SPEC>)%`, with the instant it printed via `%s`
/// and `%9f` (1795812105.170286000 = 2026-11-27T20:41:45.170286Z).
const ENVOY_SPEC: &str = "%s|%9f|%Y-%m-%dT%H:%M:%S%z|%a|%A|%b|%B|%c|%C|%d|%D|%e|%F|%g|%G|%h|%H|%I|\
%j|%k|%l|%m|%M|%p|%P|%r|%R|%S|%t|%T|%u|%U|%V|%w|%W|%x|%X|%y|%Y|%z|%Z|%%|%f|%1f|%3f|%6f|%E3S|\
%E6S|%E*S|%E9S|%E0S|%Ez|%E*z|%E4Y|%E3f|%E*f|%Q|%-d|%_m|%05Y|%Od|%Ey|%+|%v|%s.%3f";
const ENVOY_LINE: &str = "1795812105|170286000|2026-11-27T20:41:45+0000|Fri|Friday|Nov|November|\
Fri Nov 27 20:41:45 2026|20|27|11/27/26|27|2026-11-27|26|2026|Nov|20|08|331|20| 8|11|41|PM|pm|\
08:41:45 PM|20:41|45|\t|20:41:45|5|47|48|5|47|11/27/26|20:41:45|26|2026|+0000|UTC|%|170286000|1|\
170|170286|45.170|45.170286|45.170286|45.170286000|45|+00:00|+00:00:00|2026|170|170286|%Q|27|11|\
02026|27|26|%+|%v|1795812105.170";

#[test]
fn every_conversion_matches_envoy() {
    let time = at(1_795_812_105, 170_286_000);
    let ours = render(ENVOY_SPEC, time);
    for (index, (ours, envoy)) in ours.split('|').zip(ENVOY_LINE.split('|')).enumerate() {
        let spec = ENVOY_SPEC.split('|').nth(index).unwrap_or_default();
        assert_eq!(ours, envoy, "conversion {spec}");
    }
    assert_eq!(ours, ENVOY_LINE);
}

#[test]
fn default_is_iso8601_utc_with_truncated_milliseconds() {
    // Envoy printed `2026-11-27T20:36:59.100Z` for an instant with 100.719 ms.
    assert_eq!(
        render("", at(1_795_811_819, 100_719_000)),
        "2026-11-27T20:36:59.100Z"
    );
    assert_eq!(render("", at(0, 0)), "1970-01-01T00:00:00.000Z");
}

#[test]
fn calendar_edges() {
    // 2000-02-29 was a Tuesday (a leap day of a century leap year).
    assert_eq!(render("%F %a %j", at(951_782_400, 0)), "2000-02-29 Tue 060");
    // 2021-01-03 is a Sunday still in ISO week 53 of 2020.
    assert_eq!(
        render("%G-W%V-%u %U %W", at(1_609_632_000, 0)),
        "2020-W53-7 01 00"
    );
    // 2024-12-30 (Monday) is ISO week 1 of 2025.
    assert_eq!(render("%G-W%V-%u", at(1_735_516_800, 0)), "2025-W01-1");
    // Midnight and noon on the 12-hour clock.
    assert_eq!(render("%I %p|%l %P", at(0, 0)), "12 AM|12 am");
    assert_eq!(render("%I %p", at(12 * 3600, 0)), "12 PM");
}

#[test]
fn before_the_epoch() {
    // 1969-12-31T23:59:59.5Z.
    let time = UNIX_EPOCH - Duration::from_millis(500);
    assert_eq!(
        render("%Y-%m-%dT%H:%M:%E3S %s", time),
        "1969-12-31T23:59:59.500 -1"
    );
}

#[test]
fn whole_seconds_trim_star_fractions() {
    assert_eq!(render("%E*S|%E*f", at(5, 0)), "05|0");
    assert_eq!(render("%E*S", at(5, 120_000_000)), "05.12");
}

#[test]
fn newline_conversion_is_rejected() {
    assert!(TimeFormat::compile("%Y%n").is_err());
}

#[test]
fn days_round_trip_through_the_civil_calendar() {
    for days in [-719_468, -1, 0, 59, 60, 365, 10_957, 20_000, 2_932_896] {
        let (year, month, day) = civil_from_days(days);
        assert_eq!(days_from_civil(year, month, day), days, "day {days}");
    }
}
