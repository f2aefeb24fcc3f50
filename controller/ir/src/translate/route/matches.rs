//! HTTPRoute matches -> Envoy `RouteMatch`, and the Gateway API precedence rank of each match.

use dynagate_api::gateway::httproutes::{
    HttpRouteRulesMatches, HttpRouteRulesMatchesHeadersType, HttpRouteRulesMatchesMethod,
    HttpRouteRulesMatchesPathType, HttpRouteRulesMatchesQueryParamsType,
};
use envoy_types::pb::envoy::config::route::v3::{
    HeaderMatcher, QueryParameterMatcher, RouteMatch, header_matcher, query_parameter_matcher,
    route_match,
};
use envoy_types::pb::envoy::r#type::matcher::v3::{RegexMatcher, StringMatcher, string_matcher};

/// Gateway API precedence of one match: greater ranks are tried first.
///
/// Exact path beats regular expression beats prefix; then longer paths; then having a method; then more
/// header matches; then more query matches. Ties are broken by route age and name outside this type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct MatchRank {
    pub(crate) path_kind: u8,
    pub(crate) path_len: usize,
    pub(crate) has_method: bool,
    pub(crate) headers: usize,
    pub(crate) query_params: usize,
}

/// The path a match selects, as needed later by prefix rewrites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PathMatch {
    Exact(String),
    /// Normalised prefix without trailing slash (`/` stays `/`).
    Prefix(String),
    Regex(String),
}

/// A converted match.
#[derive(Clone, Debug)]
pub(crate) struct ConvertedMatch {
    pub(crate) envoy: RouteMatch,
    pub(crate) rank: MatchRank,
    pub(crate) path: PathMatch,
}

/// The implicit match of a rule without matches: every path.
pub(crate) fn match_all() -> ConvertedMatch {
    convert(&HttpRouteRulesMatches::default()).unwrap_or_else(|_| ConvertedMatch {
        envoy: RouteMatch::default(),
        rank: MatchRank {
            path_kind: 1,
            path_len: 1,
            has_method: false,
            headers: 0,
            query_params: 0,
        },
        path: PathMatch::Prefix("/".to_owned()),
    })
}

/// Converts one match; errors name the offending value (the route is then not accepted).
pub(crate) fn convert(m: &HttpRouteRulesMatches) -> Result<ConvertedMatch, String> {
    let (path_type, value) = match &m.path {
        Some(path) => (
            path.r#type
                .clone()
                .unwrap_or(HttpRouteRulesMatchesPathType::PathPrefix),
            path.value.clone().unwrap_or_else(|| "/".to_owned()),
        ),
        None => (HttpRouteRulesMatchesPathType::PathPrefix, "/".to_owned()),
    };
    let (specifier, path, path_kind) = match path_type {
        HttpRouteRulesMatchesPathType::Exact => {
            if !value.starts_with('/') {
                return Err(format!("path {value:?} must start with /"));
            }
            (
                route_match::PathSpecifier::Path(value.clone()),
                PathMatch::Exact(value),
                3,
            )
        }
        HttpRouteRulesMatchesPathType::RegularExpression => {
            check_regex(&value)?;
            (
                route_match::PathSpecifier::SafeRegex(regex_matcher(&value)),
                PathMatch::Regex(value),
                2,
            )
        }
        HttpRouteRulesMatchesPathType::PathPrefix => {
            if !value.starts_with('/') {
                return Err(format!("path prefix {value:?} must start with /"));
            }
            let trimmed = value.trim_end_matches('/');
            if trimmed.is_empty() {
                (
                    route_match::PathSpecifier::Prefix("/".to_owned()),
                    PathMatch::Prefix("/".to_owned()),
                    1,
                )
            } else {
                // Gateway API prefixes match whole path segments: /foo matches /foo and /foo/bar, not /foobar.
                let prefix = trimmed.to_owned();
                (
                    route_match::PathSpecifier::PathSeparatedPrefix(prefix.clone()),
                    PathMatch::Prefix(prefix),
                    1,
                )
            }
        }
    };
    let path_len = match &path {
        PathMatch::Exact(v) | PathMatch::Prefix(v) | PathMatch::Regex(v) => v.len(),
    };

    let mut headers = Vec::new();
    for header in m.headers.iter().flatten() {
        let matcher = match header
            .r#type
            .clone()
            .unwrap_or(HttpRouteRulesMatchesHeadersType::Exact)
        {
            HttpRouteRulesMatchesHeadersType::Exact => exact(&header.value),
            HttpRouteRulesMatchesHeadersType::RegularExpression => {
                check_regex(&header.value)?;
                safe_regex(&header.value)
            }
        };
        headers.push(header_matcher(&header.name.to_ascii_lowercase(), matcher));
    }
    let header_count = headers.len();
    if let Some(method) = &m.method {
        headers.push(header_matcher(":method", exact(method_name(method))));
    }

    let mut query_parameters = Vec::new();
    for query in m.query_params.iter().flatten() {
        let matcher = match query
            .r#type
            .clone()
            .unwrap_or(HttpRouteRulesMatchesQueryParamsType::Exact)
        {
            HttpRouteRulesMatchesQueryParamsType::Exact => exact(&query.value),
            HttpRouteRulesMatchesQueryParamsType::RegularExpression => {
                check_regex(&query.value)?;
                safe_regex(&query.value)
            }
        };
        query_parameters.push(QueryParameterMatcher {
            name: query.name.clone(),
            query_parameter_match_specifier: Some(
                query_parameter_matcher::QueryParameterMatchSpecifier::StringMatch(matcher),
            ),
        });
    }

    let rank = MatchRank {
        path_kind,
        path_len,
        has_method: m.method.is_some(),
        headers: header_count,
        query_params: query_parameters.len(),
    };
    let envoy = RouteMatch {
        path_specifier: Some(specifier),
        headers,
        query_parameters,
        ..RouteMatch::default()
    };
    Ok(ConvertedMatch { envoy, rank, path })
}

fn method_name(method: &HttpRouteRulesMatchesMethod) -> &'static str {
    match method {
        HttpRouteRulesMatchesMethod::Get => "GET",
        HttpRouteRulesMatchesMethod::Head => "HEAD",
        HttpRouteRulesMatchesMethod::Post => "POST",
        HttpRouteRulesMatchesMethod::Put => "PUT",
        HttpRouteRulesMatchesMethod::Delete => "DELETE",
        HttpRouteRulesMatchesMethod::Connect => "CONNECT",
        HttpRouteRulesMatchesMethod::Options => "OPTIONS",
        HttpRouteRulesMatchesMethod::Trace => "TRACE",
        HttpRouteRulesMatchesMethod::Patch => "PATCH",
    }
}

/// Envoy uses RE2; the `regex` crate accepts the same core syntax, so a pattern it rejects would be NACKed.
pub(crate) fn check_regex(pattern: &str) -> Result<(), String> {
    regex::Regex::new(pattern)
        .map(|_| ())
        .map_err(|err| format!("invalid regular expression {pattern:?}: {err}"))
}

pub(crate) fn regex_matcher(pattern: &str) -> RegexMatcher {
    RegexMatcher {
        regex: pattern.to_owned(),
        ..RegexMatcher::default()
    }
}

fn exact(value: &str) -> StringMatcher {
    StringMatcher {
        match_pattern: Some(string_matcher::MatchPattern::Exact(value.to_owned())),
        ..StringMatcher::default()
    }
}

fn safe_regex(pattern: &str) -> StringMatcher {
    StringMatcher {
        match_pattern: Some(string_matcher::MatchPattern::SafeRegex(regex_matcher(
            pattern,
        ))),
        ..StringMatcher::default()
    }
}

fn header_matcher(name: &str, matcher: StringMatcher) -> HeaderMatcher {
    HeaderMatcher {
        name: name.to_owned(),
        header_match_specifier: Some(header_matcher::HeaderMatchSpecifier::StringMatch(matcher)),
        ..HeaderMatcher::default()
    }
}
