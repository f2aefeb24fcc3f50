//! `ImageRef`: a container image reference split into the parts GatewayParameters can override.

use std::fmt;
use std::str::FromStr;

use dynagate_api::kgateway::Image;

#[cfg(test)]
mod tests;

/// `[registry/]repository[:tag][@digest]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (`ghcr.io`, `localhost:5000`), if the reference names one.
    pub registry: Option<String>,
    /// Repository path (`envoyproxy/envoy`).
    pub repository: String,
    /// Tag.
    pub tag: Option<String>,
    /// Digest (`sha256:...`); wins over the tag when both are set.
    pub digest: Option<String>,
}

/// The text is not an image reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference {0:?}")]
pub struct ImageRefParseError(String);

impl FromStr for ImageRef {
    type Err = ImageRefParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || ImageRefParseError(text.to_owned());
        if text.is_empty() || text.contains(char::is_whitespace) {
            return Err(invalid());
        }
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) if !digest.is_empty() => (rest, Some(digest.to_owned())),
            Some(_) => return Err(invalid()),
            None => (text, None),
        };
        // A tag is after the last ':' that follows the last '/' (a registry may carry a port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let (path, tag) = rest.split_at(last_slash + i);
                (path, Some(tag[1..].to_owned()))
            }
            None => (rest, None),
        };
        // The first path component is a registry when it looks like a host (Docker's rule).
        let (registry, repository) = match path.split_once('/') {
            Some((first, repository)) if first.contains(['.', ':']) || first == "localhost" => {
                (Some(first.to_owned()), repository)
            }
            _ => (None, path),
        };
        if repository.is_empty() || tag.as_deref() == Some("") {
            return Err(invalid());
        }
        Ok(Self {
            registry,
            repository: repository.to_owned(),
            tag,
            digest,
        })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(registry) = &self.registry {
            write!(f, "{registry}/")?;
        }
        f.write_str(&self.repository)?;
        match (&self.digest, &self.tag) {
            (Some(digest), _) => write!(f, "@{digest}"),
            (None, Some(tag)) => write!(f, ":{tag}"),
            (None, None) => Ok(()),
        }
    }
}

impl ImageRef {
    /// This image with the parts GatewayParameters set replaced (kgateway: each field independently).
    pub fn with_overrides(&self, image: &Image) -> Self {
        let mut out = self.clone();
        if let Some(registry) = &image.registry {
            out.registry = (!registry.is_empty()).then(|| registry.clone());
        }
        if let Some(repository) = &image.repository {
            out.repository = repository.clone();
        }
        if let Some(tag) = &image.tag {
            out.tag = Some(tag.clone());
            // A new tag with the default digest would silently keep running the old image.
            out.digest = None;
        }
        if let Some(digest) = &image.digest {
            out.digest = Some(digest.clone());
        }
        out
    }
}
