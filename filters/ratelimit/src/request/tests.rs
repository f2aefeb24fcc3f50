use super::*;

#[test]
fn ports_are_stripped() {
    for (address, ip) in [
        (&b"10.0.0.7:4242"[..], &b"10.0.0.7"[..]),
        (b"[2001:db8::1]:443", b"2001:db8::1"),
        (b"2001:db8::1", b"2001:db8::1"),
        (b"10.0.0.7", b"10.0.0.7"),
        (b"[broken", b"[broken"),
    ] {
        assert_eq!(address_without_port(address), ip);
    }
}

#[test]
fn thread_dice_is_roughly_uniform() {
    let mut dice = ThreadDice;
    let hits = (0..100_000).filter(|_| dice.chance(30)).count();
    assert!((27_000..33_000).contains(&hits), "{hits}");
    assert!((0..1_000).all(|_| dice.roll() < 100));
    assert!(!(0..1_000).any(|_| dice.chance(0)));
    assert!((0..1_000).all(|_| dice.chance(100)));
}
