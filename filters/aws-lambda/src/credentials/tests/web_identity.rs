//! The IRSA cache's state machine, driven by a manual clock.

use crate::clock::{Clock, ManualClock};
use crate::credentials::{
    Lookup, RefreshPolicy, RefreshTicket, StsCredentials, StsError, TokenSource,
    WebIdentityProvider, WebIdentityProviders, WebIdentitySettings,
};
use dynagate_config::aws_lambda::StsEndpoint;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

const START: u64 = 1_714_564_800;
const HOUR: Duration = Duration::from_secs(3600);

struct Fixture {
    clock: Arc<ManualClock>,
    provider: Arc<WebIdentityProvider>,
    token_reads: Arc<AtomicUsize>,
}

fn settings(token: TokenSource) -> WebIdentitySettings {
    WebIdentitySettings {
        role_arn: "arn:aws:iam::123456789012:role/lambda".to_owned(),
        session_name: "dynagate".to_owned(),
        token,
        sts: StsEndpoint {
            cluster: "sts".to_owned(),
            authority: "sts.amazonaws.com".to_owned(),
        },
        policy: RefreshPolicy::default(),
    }
}

fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::at_unix(START));
    let token_reads = Arc::new(AtomicUsize::new(0));
    let reads = Arc::clone(&token_reads);
    let token = TokenSource::Function(Arc::new(move || {
        let n = reads.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(format!("token-{n}"))
    }));
    let provider = WebIdentityProvider::new(settings(token), Arc::clone(&clock) as Arc<dyn Clock>);
    Fixture {
        clock,
        provider,
        token_reads,
    }
}

impl Fixture {
    fn now(&self) -> SystemTime {
        self.clock.now()
    }

    fn keys(&self, id: &str, valid_for: Duration) -> StsCredentials {
        StsCredentials {
            access_key_id: id.to_owned(),
            secret_access_key: format!("secret-{id}"),
            session_token: format!("token-{id}"),
            expiration: self.now() + valid_for,
        }
    }

    fn fetch(&self) -> RefreshTicket {
        match self.provider.lookup() {
            Lookup::Fetch(ticket) => ticket,
            other => panic!("expected to be told to fetch, got {other:?}"),
        }
    }

    /// Keys now, and whether this request was handed the refresh.
    fn ready(&self) -> (String, Option<RefreshTicket>) {
        match self.provider.lookup() {
            Lookup::Ready {
                credentials,
                refresh,
            } => (credentials.access_key_id().to_owned(), refresh),
            other => panic!("expected keys, got {other:?}"),
        }
    }
}

fn wake_counter() -> (Arc<AtomicUsize>, Box<dyn FnOnce() + Send>) {
    let woken = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&woken);
    (
        woken,
        Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        }),
    )
}

#[test]
fn first_request_fetches_and_the_others_wait_for_it() {
    let f = fixture();
    let mut ticket = f.fetch();
    let callout = ticket.callout().unwrap();
    assert!(
        callout.body.contains("WebIdentityToken=token-1"),
        "the token file is read per fetch"
    );

    let Lookup::Wait { generation } = f.provider.lookup() else {
        panic!("second request must wait")
    };
    let (woken, wake) = wake_counter();
    f.provider.wait(generation, wake);
    assert_eq!(woken.load(Ordering::SeqCst), 0);

    ticket.complete(Ok(f.keys("ASIA1", HOUR)));
    assert_eq!(
        woken.load(Ordering::SeqCst),
        1,
        "waiters are woken when the fetch ends"
    );
    assert_eq!(f.ready().0, "ASIA1");

    // A waiter registering after the fetch ended is woken at once.
    let (late, wake) = wake_counter();
    f.provider.wait(generation, wake);
    assert_eq!(late.load(Ordering::SeqCst), 1);
}

#[test]
fn refresh_starts_before_expiry_without_holding_requests() {
    let f = fixture();
    f.fetch().complete(Ok(f.keys("ASIA1", HOUR)));

    f.clock.advance(Duration::from_secs(54 * 60));
    assert!(
        f.ready().1.is_none(),
        "outside the refresh window nothing is refreshed"
    );

    f.clock.advance(Duration::from_secs(60)); // 5 minutes left
    let (keys, refresh) = f.ready();
    assert_eq!(
        keys, "ASIA1",
        "the request signs with the current keys at once"
    );
    let mut refresh = refresh.expect("exactly one request refreshes");
    let (keys, second) = f.ready();
    assert_eq!(
        (keys.as_str(), second.is_none()),
        ("ASIA1", true),
        "no second refresh while one is in flight"
    );

    refresh.callout().unwrap();
    refresh.complete(Ok(f.keys("ASIA2", HOUR)));
    assert_eq!(f.ready().0, "ASIA2");
    assert_eq!(
        f.token_reads.load(Ordering::SeqCst),
        1,
        "only the refresh read the token"
    );
}

#[test]
fn failed_refresh_keeps_the_old_keys_and_backs_off() {
    let f = fixture();
    f.fetch().complete(Ok(f.keys("ASIA1", HOUR)));
    f.clock.advance(Duration::from_secs(56 * 60));

    let refresh = f.ready().1.expect("refresh due");
    refresh.complete(Err(StsError::Callout("reset".to_owned())));
    let (keys, again) = f.ready();
    assert_eq!(
        (keys.as_str(), again.is_none()),
        ("ASIA1", true),
        "old keys, no retry during the backoff"
    );

    f.clock.advance(RefreshPolicy::default().min_backoff);
    assert!(
        f.ready().1.is_some(),
        "after the backoff another request refreshes"
    );
}

#[test]
fn keys_within_the_expiry_margin_are_not_used() {
    let f = fixture();
    f.fetch().complete(Ok(f.keys("ASIA1", HOUR)));
    f.clock
        .advance(HOUR - RefreshPolicy::default().expiry_margin);
    // The request cannot sign with keys about to expire: it must fetch (and wait for) new ones.
    let ticket = f.fetch();
    assert!(matches!(f.provider.lookup(), Lookup::Wait { .. }));
    ticket.complete(Ok(f.keys("ASIA2", HOUR)));
    assert_eq!(f.ready().0, "ASIA2");
}

#[test]
fn failure_without_keys_fails_fast_then_retries_with_growing_backoff() {
    let f = fixture();
    let error = StsError::Rejected {
        status: 403,
        code: "AccessDenied".into(),
        message: "not allowed".into(),
    };
    f.fetch().complete(Err(error));
    let Lookup::Unavailable { reason } = f.provider.lookup() else {
        panic!("unavailable expected")
    };
    assert!(reason.contains("AccessDenied"), "{reason}");

    f.clock.advance(Duration::from_secs(1));
    f.fetch().complete(Err(StsError::Callout("reset".into())));
    f.clock.advance(Duration::from_secs(1));
    assert!(
        matches!(f.provider.lookup(), Lookup::Unavailable { .. }),
        "second failure waits 2s"
    );
    f.clock.advance(Duration::from_secs(1));
    f.fetch().complete(Ok(f.keys("ASIA1", HOUR)));
    assert_eq!(f.ready().0, "ASIA1");
}

#[test]
fn an_abandoned_fetch_wakes_waiters_and_frees_the_fetch() {
    let f = fixture();
    let ticket = f.fetch();
    let Lookup::Wait { generation } = f.provider.lookup() else {
        panic!("wait expected")
    };
    let (woken, wake) = wake_counter();
    f.provider.wait(generation, wake);
    drop(ticket); // the fetching stream was reset
    assert_eq!(woken.load(Ordering::SeqCst), 1);
    let _next = f.fetch();
}

#[test]
fn a_fetch_that_never_answers_goes_stale() {
    let f = fixture();
    let _lost = f.fetch();
    assert!(matches!(f.provider.lookup(), Lookup::Wait { .. }));
    f.clock.advance(RefreshPolicy::default().fetch_timeout * 2);
    let second = f.fetch();
    second.complete(Ok(f.keys("ASIA2", HOUR)));
    assert_eq!(f.ready().0, "ASIA2");
}

#[test]
fn unreadable_token_fails_the_fetch() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::at_unix(START));
    let missing = TokenSource::File("/nonexistent/dynagate/token".into());
    let provider = WebIdentityProvider::new(settings(missing), clock);
    let Lookup::Fetch(mut ticket) = provider.lookup() else {
        panic!("fetch expected")
    };
    assert!(matches!(ticket.callout(), Err(StsError::Token(_))));
    drop(ticket);
    assert!(
        matches!(provider.lookup(), Lookup::Unavailable { reason } if reason.contains("token"))
    );
}

#[test]
fn an_older_answer_does_not_replace_newer_keys() {
    let f = fixture();
    f.fetch().complete(Ok(f.keys("ASIA1", HOUR)));
    f.clock.advance(Duration::from_secs(56 * 60));
    let refresh = f.ready().1.expect("refresh due");
    refresh.complete(Ok(f.keys("ASIA0", Duration::from_secs(60))));
    assert_eq!(f.ready().0, "ASIA1");
}

#[test]
fn configs_naming_the_same_role_share_one_cache() {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::at_unix(START));
    let providers = WebIdentityProviders::default();
    let file = || TokenSource::File("/var/run/secrets/token".into());
    let a = providers.get_or_create(settings(file()), &clock);
    let b = providers.get_or_create(settings(file()), &clock);
    assert!(Arc::ptr_eq(&a, &b));
    let mut other = settings(file());
    other.role_arn = "arn:aws:iam::123456789012:role/other".to_owned();
    assert!(!Arc::ptr_eq(&a, &providers.get_or_create(other, &clock)));
    drop((a, b));
    let fresh = providers.get_or_create(settings(file()), &clock);
    assert!(
        matches!(fresh.lookup(), Lookup::Fetch(_)),
        "a dropped provider is not resurrected"
    );
}
