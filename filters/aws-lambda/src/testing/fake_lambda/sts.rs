//! The fake's STS: `AssumeRoleWithWebIdentity` for one role and token, issuing fresh temporary
//! keys (accepted by the fake's Invoke API) on every call.

use super::State;
use super::invoke::{Answer, answer, percent_decode};
use crate::sigv4::format_amz_date;
use hyper::StatusCode;
use std::time::UNIX_EPOCH;

/// One `AssumeRoleWithWebIdentity` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsCall {
    /// `RoleArn` asked for.
    pub role_arn: String,
    /// `RoleSessionName` given.
    pub session_name: String,
    /// The access key issued (`None`: refused).
    pub issued: Option<String>,
}

fn form_value(form: &str, key: &str) -> String {
    form.split('&')
        .find_map(|pair| {
            pair.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix('='))
        })
        .map(|value| percent_decode(&value.replace('+', " ")))
        .unwrap_or_default()
}

fn error(code: &str, message: &str) -> Answer {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>fake</RequestId></ErrorResponse>"
    );
    answer(StatusCode::FORBIDDEN, &[("content-type", "text/xml")], body)
}

pub(super) fn handle(state: &State, body: &[u8]) -> Answer {
    let form = String::from_utf8_lossy(body);
    let (role_arn, session_name) = (
        form_value(&form, "RoleArn"),
        form_value(&form, "RoleSessionName"),
    );
    let grant = state.web_identity.as_ref();
    let refusal = match grant {
        _ if form_value(&form, "Action") != "AssumeRoleWithWebIdentity" => {
            Some(("InvalidAction", "unknown action"))
        }
        Some(grant) if grant.role_arn != role_arn => Some((
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        )),
        Some(grant) if grant.token != form_value(&form, "WebIdentityToken") => Some((
            "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider",
        )),
        None => Some(("InvalidAction", "STS is not enabled on this fake")),
        Some(_) => None,
    };
    let issued = match (refusal, grant) {
        (None, Some(grant)) => {
            let number = state.log().sts_calls.len() + 1;
            let key = format!("ASIAFAKESTS{number:04}");
            let (secret, token) = (
                format!("fake-sts-secret-{number}"),
                format!("fake-sts-token-{number}"),
            );
            state.verifier().add_key(&key, &secret, Some(&token));
            let expires = (state.clock.now() + grant.lifetime)
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let date = format_amz_date(expires);
            let iso = format!(
                "{}-{}-{}T{}:{}:{}Z",
                &date[..4],
                &date[4..6],
                &date[6..8],
                &date[9..11],
                &date[11..13],
                &date[13..15]
            );
            Some((key, secret, token, iso))
        }
        _ => None,
    };
    state.log().sts_calls.push(StsCall {
        role_arn,
        session_name,
        issued: issued.as_ref().map(|(key, ..)| key.clone()),
    });
    state.handled.send_modify(|count| *count += 1);
    match (issued, refusal) {
        (Some((key, secret, token, expiration)), _) => {
            let body = format!(
                "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                 <AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>{key}</AccessKeyId>\
                 <SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken>\
                 <Expiration>{expiration}</Expiration></Credentials></AssumeRoleWithWebIdentityResult>\
                 </AssumeRoleWithWebIdentityResponse>"
            );
            answer(StatusCode::OK, &[("content-type", "text/xml")], body)
        }
        (None, Some((code, message))) => error(code, message),
        (None, None) => error("InvalidAction", "STS is not enabled on this fake"),
    }
}
