use super::*;

fn command(name: &str, params: Option<&str>, max_length: Option<usize>) -> Token<'static> {
    // Test names and params are 'static literals.
    let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
    let params = params.map(|p| -> &'static str { Box::leak(p.to_owned().into_boxed_str()) });
    Token::Command(Command {
        name,
        params,
        max_length,
    })
}

fn literal(text: &str) -> Token<'static> {
    Token::Literal(text.to_owned())
}

#[test]
fn literals_commands_and_escaped_percent() {
    let tokens = tokenize("a %PROTOCOL% 100%% b").unwrap();
    assert_eq!(
        tokens,
        [
            literal("a "),
            command("PROTOCOL", None, None),
            literal(" 100% b")
        ]
    );
}

#[test]
fn params_and_length() {
    let tokens = tokenize("%REQ(X-FOO?X-BAR):3%%REQ(:PATH)%").unwrap();
    assert_eq!(
        tokens,
        [
            command("REQ", Some("X-FOO?X-BAR"), Some(3)),
            command("REQ", Some(":PATH"), None)
        ]
    );
}

#[test]
fn params_may_hold_percent_signs_and_parentheses() {
    // The shortest params whose `)` is followed by `%` or `:digits%`.
    let tokens = tokenize("[%START_TIME(%Y-%m-%dT%H:%M:%S%z)%]").unwrap();
    assert_eq!(
        tokens,
        [
            literal("["),
            command("START_TIME", Some("%Y-%m-%dT%H:%M:%S%z"), None),
            literal("]")
        ]
    );
    let tokens = tokenize("%REQ(a)b)%").unwrap();
    assert_eq!(tokens, [command("REQ", Some("a)b"), None)]);
    let tokens = tokenize("%START_TIME()%").unwrap();
    assert_eq!(tokens, [command("START_TIME", Some(""), None)]);
}

#[test]
fn invalid_commands_name_the_byte_position() {
    // Each of these is rejected by Envoy 1.40 with "Couldn't find valid command at position N".
    for (format, position) in [
        ("100%", 3),
        ("100% done", 3),
        ("%", 0),
        ("%%%", 2),
        ("%REQ(a)", 0),
        ("%REQ(a)x%", 0),
        ("%REQ(a):x%", 0),
        ("%REQ(a):%", 0),
        ("%req(a)%", 0),
        ("ok %REQ(a\nb)%", 3),
    ] {
        assert_eq!(
            tokenize(format),
            Err(FormatError::Syntax {
                format: format.to_owned(),
                position
            }),
            "{format:?}"
        );
    }
}

#[test]
fn an_overflowing_length_is_rejected() {
    assert!(tokenize("%REQ(a):99999999999999999999999%").is_err());
}

#[test]
fn empty_format_has_no_tokens() {
    assert_eq!(tokenize("").unwrap(), []);
}
