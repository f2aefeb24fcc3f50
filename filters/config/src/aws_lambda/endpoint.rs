//! The Lambda endpoint: `endpointURL` parsed into scheme, host and port, or the regional default.

use core::fmt;

/// Where Invoke requests go. The controller builds the cluster from it (TLS with SNI = `host`
/// when `tls`); the filter writes [`LambdaEndpoint::authority`] into `:authority` and signs it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LambdaEndpoint {
    /// `https` (TLS) or `http`.
    pub tls: bool,
    /// DNS name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port (443/80 by default).
    pub port: u16,
}

impl LambdaEndpoint {
    /// The regional endpoint `lambda.<region>.amazonaws.com:443` (`.com.cn` in China).
    pub fn regional(region: &str) -> Self {
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        Self {
            tls: true,
            host: format!("lambda.{region}.{suffix}"),
            port: 443,
        }
    }

    /// Parses `http(s)://host[:port][/]`. Paths, queries, fragments and user info are refused:
    /// the Invoke path is fixed and credentials never travel in URLs.
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.len() > 2048 {
            return Err("longer than 2048 characters".to_owned());
        }
        let (tls, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
            (false, rest)
        } else {
            return Err("must start with http:// or https://".to_owned());
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if !tail.is_empty() && tail != "/" {
            return Err("must not have a path, query or fragment".to_owned());
        }
        if authority.contains('@') {
            return Err("must not carry user info".to_owned());
        }
        let (host, port) = split_host_port(authority)?;
        let port = match port {
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .ok_or_else(|| format!("port {port:?} is not a number in 1-65535"))?,
            None if tls => 443,
            None => 80,
        };
        Ok(Self {
            tls,
            host: host.to_owned(),
            port,
        })
    }

    /// The `host` header value: `host` alone on the scheme's default port, else `host:port`.
    pub fn authority(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for LambdaEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        let default_port = if self.tls { 443 } else { 80 };
        if self.port != default_port {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Splits `host[:port]` / `[v6][:port]` and checks the host's characters.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| "unterminated [IPv6] host".to_owned())?;
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(format!("{host:?} is not an IPv6 address"));
        }
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err("unexpected text after the [IPv6] host".to_owned()),
            },
        }
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let valid = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_');
        if host.is_empty() {
            return Err("has no host".to_owned());
        }
        if !host.bytes().all(valid) {
            return Err(format!("{host:?} is not a valid host name"));
        }
        (host, port)
    };
    Ok((host, port))
}
