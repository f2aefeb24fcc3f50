//! HTTPRoute rule filters that map onto Envoy route fields: header modifiers, redirects, rewrites, mirrors.

use dynagate_api::gateway::httproutes::{
    HttpRouteRulesFiltersRequestHeaderModifier, HttpRouteRulesFiltersRequestRedirect,
    HttpRouteRulesFiltersRequestRedirectPath, HttpRouteRulesFiltersRequestRedirectPathType,
    HttpRouteRulesFiltersRequestRedirectScheme, HttpRouteRulesFiltersResponseHeaderModifier,
    HttpRouteRulesFiltersUrlRewrite, HttpRouteRulesFiltersUrlRewritePathType,
};
use envoy_types::pb::envoy::config::core::v3::{
    HeaderValue, HeaderValueOption, header_value_option,
};
use envoy_types::pb::envoy::config::route::v3::{RedirectAction, Route, redirect_action, route};
use envoy_types::pb::envoy::r#type::matcher::v3::RegexMatchAndSubstitute;

use super::matches::{PathMatch, regex_matcher};

/// Header edits of one rule.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct HeaderEdits {
    pub(crate) request_add: Vec<HeaderValueOption>,
    pub(crate) request_remove: Vec<String>,
    pub(crate) response_add: Vec<HeaderValueOption>,
    pub(crate) response_remove: Vec<String>,
}

fn option(
    name: &str,
    value: &str,
    action: header_value_option::HeaderAppendAction,
) -> HeaderValueOption {
    HeaderValueOption {
        header: Some(HeaderValue {
            key: name.to_ascii_lowercase(),
            value: value.to_owned(),
            ..HeaderValue::default()
        }),
        append_action: action as i32,
        ..HeaderValueOption::default()
    }
}

impl HeaderEdits {
    pub(crate) fn request(&mut self, m: &HttpRouteRulesFiltersRequestHeaderModifier) {
        use header_value_option::HeaderAppendAction::{
            AppendIfExistsOrAdd, OverwriteIfExistsOrAdd,
        };
        for h in m.set.iter().flatten() {
            self.request_add
                .push(option(&h.name, &h.value, OverwriteIfExistsOrAdd));
        }
        for h in m.add.iter().flatten() {
            self.request_add
                .push(option(&h.name, &h.value, AppendIfExistsOrAdd));
        }
        self.request_remove
            .extend(m.remove.iter().flatten().map(|n| n.to_ascii_lowercase()));
    }

    pub(crate) fn response(&mut self, m: &HttpRouteRulesFiltersResponseHeaderModifier) {
        use header_value_option::HeaderAppendAction::{
            AppendIfExistsOrAdd, OverwriteIfExistsOrAdd,
        };
        for h in m.set.iter().flatten() {
            self.response_add
                .push(option(&h.name, &h.value, OverwriteIfExistsOrAdd));
        }
        for h in m.add.iter().flatten() {
            self.response_add
                .push(option(&h.name, &h.value, AppendIfExistsOrAdd));
        }
        self.response_remove
            .extend(m.remove.iter().flatten().map(|n| n.to_ascii_lowercase()));
    }
}

/// Gateway API: a redirect naming neither scheme nor port goes to the port of the listener that received
/// the request. Envoy would keep the port of the request's Host header, or drop it when the redirect
/// changes the hostname. (Redirects naming a scheme or a port have their port set at compile time.)
pub(crate) fn redirect_to_listener_port(route: &mut Route, listener_port: u16) {
    if let Some(route::Action::Redirect(redirect)) = &mut route.action
        && redirect.scheme_rewrite_specifier.is_none()
        && redirect.port_redirect == 0
    {
        redirect.port_redirect = u32::from(listener_port);
    }
}

/// How a matched prefix is replaced.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PrefixReplacement {
    /// Envoy `prefix_rewrite`.
    Prefix(String),
    /// Envoy `regex_rewrite` (replacing with `/` needs it, else `/foo/bar` would become `//bar`).
    Regex(RegexMatchAndSubstitute),
}

/// `ReplacePrefixMatch` for a match's path; only prefix matches qualify.
pub(crate) fn replace_prefix(
    path: &PathMatch,
    replacement: &str,
) -> Result<PrefixReplacement, String> {
    let PathMatch::Prefix(prefix) = path else {
        return Err("ReplacePrefixMatch needs a PathPrefix match".to_owned());
    };
    let replacement = replacement.trim_end_matches('/');
    if replacement.is_empty() {
        let pattern = if prefix == "/" {
            "^/+".to_owned()
        } else {
            format!("^{}/*", regex::escape(prefix))
        };
        Ok(PrefixReplacement::Regex(RegexMatchAndSubstitute {
            pattern: Some(regex_matcher(&pattern)),
            substitution: "/".to_owned(),
        }))
    } else if prefix == "/" {
        // Prefix `/` matched: keep the rest of the path after the replacement.
        Ok(PrefixReplacement::Regex(RegexMatchAndSubstitute {
            pattern: Some(regex_matcher("^/")),
            substitution: format!("{replacement}/"),
        }))
    } else {
        Ok(PrefixReplacement::Prefix(replacement.to_owned()))
    }
}

/// `ReplaceFullPath`: the whole path (query string excluded) becomes `path`.
pub(crate) fn replace_full_path(path: &str) -> RegexMatchAndSubstitute {
    RegexMatchAndSubstitute {
        pattern: Some(regex_matcher("^.*$")),
        substitution: path.to_owned(),
    }
}

/// `RequestRedirect` -> Envoy redirect for one match.
pub(crate) fn redirect(
    r: &HttpRouteRulesFiltersRequestRedirect,
    path: &PathMatch,
) -> Result<RedirectAction, String> {
    let mut action = RedirectAction {
        // Gateway API's default status is 302.
        response_code: redirect_action::RedirectResponseCode::Found as i32,
        ..RedirectAction::default()
    };
    if let Some(scheme) = &r.scheme {
        let (scheme, well_known_port) = match scheme {
            HttpRouteRulesFiltersRequestRedirectScheme::Http => ("http", 80),
            HttpRouteRulesFiltersRequestRedirectScheme::Https => ("https", 443),
        };
        action.scheme_rewrite_specifier = Some(
            redirect_action::SchemeRewriteSpecifier::SchemeRedirect(scheme.to_owned()),
        );
        // Gateway API: a scheme without a port redirects to the scheme's well-known port. Keeping the
        // request's host, Envoy would keep its port too (`https://host:8080` from an HTTP listener on
        // 8080), so name the port (Envoy then writes `:443`, which the spec tolerates). A new hostname
        // carries no port, which already means the well-known one.
        if r.hostname.is_none() {
            action.port_redirect = well_known_port;
        }
    }
    if let Some(host) = &r.hostname {
        action.host_redirect = host.clone();
    }
    if let Some(port) = r.port {
        action.port_redirect =
            u32::try_from(port).map_err(|_| format!("invalid redirect port {port}"))?;
    }
    match r.status_code {
        None | Some(302) => {}
        Some(301) => {
            action.response_code = redirect_action::RedirectResponseCode::MovedPermanently as i32
        }
        Some(other) => {
            return Err(format!(
                "redirect status {other} is not supported (301 and 302 are)"
            ));
        }
    }
    if let Some(p) = &r.path {
        action.path_rewrite_specifier = Some(redirect_path(p, path)?);
    }
    Ok(action)
}

fn redirect_path(
    p: &HttpRouteRulesFiltersRequestRedirectPath,
    path: &PathMatch,
) -> Result<redirect_action::PathRewriteSpecifier, String> {
    match p.r#type {
        HttpRouteRulesFiltersRequestRedirectPathType::ReplaceFullPath => {
            Ok(redirect_action::PathRewriteSpecifier::PathRedirect(
                p.replace_full_path
                    .clone()
                    .ok_or("ReplaceFullPath needs replaceFullPath")?,
            ))
        }
        HttpRouteRulesFiltersRequestRedirectPathType::ReplacePrefixMatch => {
            let replacement = p
                .replace_prefix_match
                .as_deref()
                .ok_or("ReplacePrefixMatch needs replacePrefixMatch")?;
            Ok(match replace_prefix(path, replacement)? {
                PrefixReplacement::Prefix(prefix) => {
                    redirect_action::PathRewriteSpecifier::PrefixRewrite(prefix)
                }
                PrefixReplacement::Regex(rewrite) => {
                    redirect_action::PathRewriteSpecifier::RegexRewrite(rewrite)
                }
            })
        }
    }
}

/// What a `URLRewrite` filter does to the forwarded request.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct UrlRewrite {
    pub(crate) hostname: Option<String>,
    pub(crate) prefix: Option<PrefixReplacement>,
}

pub(crate) fn url_rewrite(
    r: &HttpRouteRulesFiltersUrlRewrite,
    path: &PathMatch,
) -> Result<UrlRewrite, String> {
    let mut out = UrlRewrite {
        hostname: r.hostname.clone(),
        prefix: None,
    };
    if let Some(p) = &r.path {
        out.prefix = Some(match p.r#type {
            HttpRouteRulesFiltersUrlRewritePathType::ReplaceFullPath => {
                PrefixReplacement::Regex(replace_full_path(
                    p.replace_full_path
                        .as_deref()
                        .ok_or("ReplaceFullPath needs replaceFullPath")?,
                ))
            }
            HttpRouteRulesFiltersUrlRewritePathType::ReplacePrefixMatch => replace_prefix(
                path,
                p.replace_prefix_match
                    .as_deref()
                    .ok_or("ReplacePrefixMatch needs replacePrefixMatch")?,
            )?,
        });
    }
    Ok(out)
}
