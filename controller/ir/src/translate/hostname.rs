//! Hostname matching as Gateway API defines it: a leading `*.` label matches one or more labels.

/// Whether `pattern` covers `host` (both may be wildcards; `*` alone covers everything).
pub(crate) fn covers(pattern: &str, host: &str) -> bool {
    if pattern == "*" || pattern == host {
        return true;
    }
    match pattern.strip_prefix('*') {
        // `*.example.com` covers `a.example.com`, `a.b.example.com` and `*.a.example.com`, not `example.com`.
        Some(suffix) if suffix.starts_with('.') => {
            host.len() > suffix.len() && host.ends_with(suffix)
        }
        _ => false,
    }
}

/// The hostnames a route serves on a listener: the intersection of the listener's hostname (`None` = any)
/// with the route's hostnames (empty = any). Empty result = no overlap. `*` stands for "any host".
pub(crate) fn intersect(listener: Option<&str>, route: &[String]) -> Vec<String> {
    let listener = listener.map(str::to_ascii_lowercase);
    if route.is_empty() {
        return vec![listener.unwrap_or_else(|| "*".to_owned())];
    }
    let mut out = Vec::new();
    for host in route {
        let host = host.to_ascii_lowercase();
        let hit = match &listener {
            None => Some(host),
            Some(l) if covers(l, &host) => Some(host),
            Some(l) if covers(&host, l) => Some(l.clone()),
            Some(_) => None,
        };
        if let Some(hit) = hit
            && !out.contains(&hit)
        {
            out.push(hit);
        }
    }
    out
}

/// Sort key: more specific hostnames are greater (exact beats wildcard, longer beats shorter, `*` last).
pub(crate) fn specificity(host: &str) -> (u8, usize) {
    if host == "*" {
        (0, 0)
    } else if host.starts_with('*') {
        (1, host.len())
    } else {
        (2, host.len())
    }
}

/// The Envoy virtual host domains for a hostname. Ports in `Host` are ignored by the route configuration
/// (`ignore_port_in_host_matching`), so the hostname alone is enough, wildcards included.
pub(crate) fn domains(host: &str) -> Vec<String> {
    vec![host.to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn wildcard_covers_one_or_more_labels_but_not_the_bare_domain() {
        assert!(covers("*.example.com", "a.example.com"));
        assert!(covers("*.example.com", "a.b.example.com"));
        assert!(covers("*.example.com", "*.a.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("a.example.com", "*.example.com"));
        assert!(covers("*", "anything"));
    }

    #[test]
    fn intersection_keeps_the_more_specific_side() {
        assert_eq!(intersect(None, &[]), s(&["*"]));
        assert_eq!(intersect(Some("a.com"), &[]), s(&["a.com"]));
        assert_eq!(
            intersect(Some("*.example.com"), &s(&["foo.example.com", "x.org"])),
            s(&["foo.example.com"])
        );
        assert_eq!(
            intersect(Some("foo.example.com"), &s(&["*.example.com"])),
            s(&["foo.example.com"])
        );
        assert_eq!(
            intersect(Some("*.example.com"), &s(&["*.a.example.com"])),
            s(&["*.a.example.com"])
        );
        assert!(intersect(Some("a.com"), &s(&["b.com"])).is_empty());
        assert_eq!(intersect(None, &s(&["A.com"])), s(&["a.com"]));
    }

    #[test]
    fn specificity_orders_exact_then_wildcard_then_any() {
        let mut hosts = s(&["*", "*.example.com", "a.example.com", "*.a.example.com"]);
        hosts.sort_by_key(|h| std::cmp::Reverse(specificity(h)));
        assert_eq!(
            hosts,
            s(&["a.example.com", "*.a.example.com", "*.example.com", "*"])
        );
    }
}
