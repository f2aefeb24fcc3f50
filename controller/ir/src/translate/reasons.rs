//! Condition types and reasons, spelled as Gateway API and kgateway spell them.

pub(crate) const ACCEPTED: &str = "Accepted";
pub(crate) const PROGRAMMED: &str = "Programmed";
pub(crate) const RESOLVED_REFS: &str = "ResolvedRefs";
pub(crate) const CONFLICTED: &str = "Conflicted";
pub(crate) const ATTACHED: &str = "Attached";

pub(crate) const R_ACCEPTED: &str = "Accepted";
pub(crate) const R_PROGRAMMED: &str = "Programmed";
pub(crate) const R_RESOLVED_REFS: &str = "ResolvedRefs";
pub(crate) const R_INVALID: &str = "Invalid";
pub(crate) const R_INVALID_PARAMETERS: &str = "InvalidParameters";
pub(crate) const R_LISTENERS_NOT_VALID: &str = "ListenersNotValid";
pub(crate) const R_UNSUPPORTED_PROTOCOL: &str = "UnsupportedProtocol";
pub(crate) const R_PORT_UNAVAILABLE: &str = "PortUnavailable";
pub(crate) const R_INVALID_ROUTE_KINDS: &str = "InvalidRouteKinds";
pub(crate) const R_INVALID_CERTIFICATE_REF: &str = "InvalidCertificateRef";
pub(crate) const R_REF_NOT_PERMITTED: &str = "RefNotPermitted";
pub(crate) const R_PROTOCOL_CONFLICT: &str = "ProtocolConflict";
pub(crate) const R_HOSTNAME_CONFLICT: &str = "HostnameConflict";
pub(crate) const R_NO_CONFLICTS: &str = "NoConflicts";

pub(crate) const R_NOT_ALLOWED_BY_LISTENERS: &str = "NotAllowedByListeners";
pub(crate) const R_NO_MATCHING_LISTENER_HOSTNAME: &str = "NoMatchingListenerHostname";
pub(crate) const R_NO_MATCHING_PARENT: &str = "NoMatchingParent";
pub(crate) const R_UNSUPPORTED_VALUE: &str = "UnsupportedValue";
pub(crate) const R_BACKEND_NOT_FOUND: &str = "BackendNotFound";
pub(crate) const R_INVALID_KIND: &str = "InvalidKind";

pub(crate) const R_VALID: &str = "Valid";
pub(crate) const R_PARTIALLY_VALID: &str = "PartiallyValid";
pub(crate) const R_TARGET_NOT_FOUND: &str = "TargetNotFound";
pub(crate) const R_ATTACHED: &str = "Attached";
pub(crate) const R_OVERRIDDEN: &str = "Overridden";
