//! Types of the ABI: opaque pointers, by-value buffers, header pairs and the C enums.

use core::ffi::{c_char, c_void};

/// Defines a C enum as a `#[repr(transparent)]` `u32` newtype with one associated constant per
/// enumerator. A newtype (not a Rust enum) because Envoy may hand us a value we do not know.
macro_rules! c_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:expr),* $(,)? }) => {
        $(#[$meta])*
        #[repr(transparent)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name(pub u32);

        impl $name {
            $($(#[$vmeta])* pub const $variant: Self = Self($value);)*
        }
    };
}

// ------------------------------------------------------------------------------------------------
// Opaque pointers
// ------------------------------------------------------------------------------------------------

/// `DynamicModuleHttpFilterConfig` in Envoy; valid for the life of the filter config.
pub type HttpFilterConfigEnvoyPtr = *mut c_void;
/// Our in-module HTTP filter config, released in `on_http_filter_config_destroy`.
pub type HttpFilterConfigModulePtr = *const c_void;
/// Our in-module per-route config, released in `on_http_filter_per_route_config_destroy`.
pub type HttpFilterPerRouteConfigModulePtr = *const c_void;
/// `DynamicModuleHttpFilter` in Envoy; valid until `on_http_filter_destroy`.
pub type HttpFilterEnvoyPtr = *mut c_void;
/// Our in-module per-stream filter, released in `on_http_filter_destroy`.
pub type HttpFilterModulePtr = *const c_void;
/// Per-stream scheduler allocated by Envoy, deleted by the module.
pub type HttpFilterSchedulerModulePtr = *mut c_void;
/// Per-config (main thread) scheduler allocated by Envoy, deleted by the module.
pub type HttpFilterConfigSchedulerModulePtr = *mut c_void;
/// `DynamicModuleAccessLogConfig` in Envoy; valid for the life of the logger config.
pub type AccessLoggerConfigEnvoyPtr = *mut c_void;
/// Our in-module access logger config.
pub type AccessLoggerConfigModulePtr = *const c_void;
/// One log event context in Envoy; valid only during `on_access_logger_log`.
pub type AccessLoggerEnvoyPtr = *mut c_void;
/// Our in-module (per worker) access logger.
pub type AccessLoggerModulePtr = *const c_void;
/// NUL-terminated ABI version string returned from `on_program_init`.
pub type AbiVersionModulePtr = *const c_char;

// ------------------------------------------------------------------------------------------------
// Buffers
// ------------------------------------------------------------------------------------------------

/// A byte range owned by Envoy (`envoy_dynamic_module_type_envoy_buffer`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EnvoyBuffer {
    /// Start of the bytes; may be null when `length` is 0.
    pub ptr: *const c_char,
    /// Number of bytes.
    pub length: usize,
}

impl EnvoyBuffer {
    /// A null, zero-length buffer, used to initialise out-parameters.
    pub const EMPTY: Self = Self {
        ptr: core::ptr::null(),
        length: 0,
    };
}

/// A byte range owned by the module (`envoy_dynamic_module_type_module_buffer`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ModuleBuffer {
    /// Start of the bytes; null means "absent" where the callback documents it.
    pub ptr: *const c_char,
    /// Number of bytes.
    pub length: usize,
}

impl ModuleBuffer {
    /// The null buffer (e.g. the value that makes `http_set_header` remove a header).
    pub const NULL: Self = Self {
        ptr: core::ptr::null(),
        length: 0,
    };

    /// Borrows `bytes` for the duration of one callback.
    #[inline]
    pub const fn from_bytes(bytes: &[u8]) -> Self {
        Self {
            ptr: bytes.as_ptr().cast(),
            length: bytes.len(),
        }
    }

    /// Borrows `text` for the duration of one callback.
    #[inline]
    pub const fn from_str(text: &str) -> Self {
        Self::from_bytes(text.as_bytes())
    }
}

/// A header owned by Envoy (`envoy_dynamic_module_type_envoy_http_header`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct EnvoyHttpHeader {
    /// Name bytes.
    pub key_ptr: *const c_char,
    /// Name length.
    pub key_length: usize,
    /// Value bytes.
    pub value_ptr: *const c_char,
    /// Value length.
    pub value_length: usize,
}

impl EnvoyHttpHeader {
    /// An all-null header, used to initialise out-arrays.
    pub const EMPTY: Self = Self {
        key_ptr: core::ptr::null(),
        key_length: 0,
        value_ptr: core::ptr::null(),
        value_length: 0,
    };
}

/// A header owned by the module (`envoy_dynamic_module_type_module_http_header`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ModuleHttpHeader {
    /// Name bytes.
    pub key_ptr: *const c_char,
    /// Name length.
    pub key_length: usize,
    /// Value bytes.
    pub value_ptr: *const c_char,
    /// Value length.
    pub value_length: usize,
}

impl ModuleHttpHeader {
    /// Borrows a name/value pair for the duration of one callback.
    #[inline]
    pub const fn new(name: &[u8], value: &[u8]) -> Self {
        Self {
            key_ptr: name.as_ptr().cast(),
            key_length: name.len(),
            value_ptr: value.as_ptr().cast(),
            value_length: value.len(),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Enums
// ------------------------------------------------------------------------------------------------

c_enum! {
    /// Which header map a header callback addresses.
    HttpHeaderType {
        REQUEST_HEADER = 0,
        REQUEST_TRAILER = 1,
        RESPONSE_HEADER = 2,
        RESPONSE_TRAILER = 3,
    }
}

c_enum! {
    /// Envoy log levels (`spdlog` order).
    LogLevel {
        TRACE = 0,
        DEBUG = 1,
        INFO = 2,
        WARN = 3,
        ERROR = 4,
        CRITICAL = 5,
        OFF = 6,
    }
}

c_enum! {
    /// Result of starting an HTTP callout.
    HttpCalloutInitResult {
        SUCCESS = 0,
        MISSING_REQUIRED_HEADERS = 1,
        CLUSTER_NOT_FOUND = 2,
        DUPLICATE_CALLOUT_ID = 3,
        CANNOT_CREATE_REQUEST = 4,
    }
}

c_enum! {
    /// Outcome of a finished HTTP callout.
    HttpCalloutResult {
        SUCCESS = 0,
        RESET = 1,
        EXCEED_RESPONSE_BUFFER_LIMIT = 2,
    }
}

c_enum! {
    /// Why an async HTTP stream (callout stream API) was reset.
    HttpStreamResetReason {
        CONNECTION_FAILURE = 0,
        CONNECTION_TERMINATION = 1,
        LOCAL_RESET = 2,
        LOCAL_REFUSED_STREAM_RESET = 3,
        OVERFLOW = 4,
        REMOTE_RESET = 5,
        REMOTE_REFUSED_STREAM_RESET = 6,
        PROTOCOL_ERROR = 7,
    }
}

c_enum! {
    /// Result of a metrics callback.
    MetricsResult {
        SUCCESS = 0,
        METRIC_NOT_FOUND = 1,
        INVALID_LABELS = 2,
        FROZEN = 3,
    }
}

c_enum! {
    /// Where `http_get_metadata_*` reads from.
    MetadataSource {
        DYNAMIC = 0,
        ROUTE = 1,
        CLUSTER = 2,
        HOST = 3,
        HOST_LOCALITY = 4,
    }
}

c_enum! {
    /// Attributes (Envoy's attribute vocabulary) readable through `*_get_attribute_*`.
    AttributeId {
        REQUEST_PATH = 0,
        REQUEST_URL_PATH = 1,
        REQUEST_HOST = 2,
        REQUEST_SCHEME = 3,
        REQUEST_METHOD = 4,
        REQUEST_HEADERS = 5,
        REQUEST_REFERER = 6,
        REQUEST_USER_AGENT = 7,
        REQUEST_TIME = 8,
        REQUEST_ID = 9,
        REQUEST_PROTOCOL = 10,
        REQUEST_QUERY = 11,
        REQUEST_DURATION = 12,
        REQUEST_SIZE = 13,
        REQUEST_TOTAL_SIZE = 14,
        RESPONSE_CODE = 15,
        RESPONSE_CODE_DETAILS = 16,
        RESPONSE_FLAGS = 17,
        RESPONSE_GRPC_STATUS = 18,
        RESPONSE_HEADERS = 19,
        RESPONSE_TRAILERS = 20,
        RESPONSE_SIZE = 21,
        RESPONSE_TOTAL_SIZE = 22,
        RESPONSE_BACKEND_LATENCY = 23,
        SOURCE_ADDRESS = 24,
        SOURCE_PORT = 25,
        DESTINATION_ADDRESS = 26,
        DESTINATION_PORT = 27,
        CONNECTION_ID = 28,
        CONNECTION_MTLS = 29,
        CONNECTION_REQUESTED_SERVER_NAME = 30,
        CONNECTION_TLS_VERSION = 31,
        CONNECTION_SUBJECT_LOCAL_CERTIFICATE = 32,
        CONNECTION_SUBJECT_PEER_CERTIFICATE = 33,
        CONNECTION_DNS_SAN_LOCAL_CERTIFICATE = 34,
        CONNECTION_DNS_SAN_PEER_CERTIFICATE = 35,
        CONNECTION_URI_SAN_LOCAL_CERTIFICATE = 36,
        CONNECTION_URI_SAN_PEER_CERTIFICATE = 37,
        CONNECTION_SHA256_PEER_CERTIFICATE_DIGEST = 38,
        CONNECTION_TRANSPORT_FAILURE_REASON = 39,
        CONNECTION_TERMINATION_DETAILS = 40,
        UPSTREAM_ADDRESS = 41,
        UPSTREAM_PORT = 42,
        UPSTREAM_TLS_VERSION = 43,
        UPSTREAM_SUBJECT_LOCAL_CERTIFICATE = 44,
        UPSTREAM_SUBJECT_PEER_CERTIFICATE = 45,
        UPSTREAM_DNS_SAN_LOCAL_CERTIFICATE = 46,
        UPSTREAM_DNS_SAN_PEER_CERTIFICATE = 47,
        UPSTREAM_URI_SAN_LOCAL_CERTIFICATE = 48,
        UPSTREAM_URI_SAN_PEER_CERTIFICATE = 49,
        UPSTREAM_SHA256_PEER_CERTIFICATE_DIGEST = 50,
        UPSTREAM_LOCAL_ADDRESS = 51,
        UPSTREAM_TRANSPORT_FAILURE_REASON = 52,
        UPSTREAM_REQUEST_ATTEMPT_COUNT = 53,
        UPSTREAM_CX_POOL_READY_DURATION = 54,
        UPSTREAM_LOCALITY = 55,
        XDS_NODE = 56,
        XDS_CLUSTER_NAME = 57,
        XDS_CLUSTER_METADATA = 58,
        XDS_LISTENER_DIRECTION = 59,
        XDS_LISTENER_METADATA = 60,
        XDS_ROUTE_NAME = 61,
        XDS_ROUTE_METADATA = 62,
        XDS_VIRTUAL_HOST_NAME = 63,
        XDS_VIRTUAL_HOST_METADATA = 64,
        XDS_UPSTREAM_HOST_METADATA = 65,
        XDS_FILTER_CHAIN_NAME = 66,
        HEALTH_CHECK = 67,
        UPSTREAM_REQUESTED_SERVER_NAME = 68,
        XDS_VIRTUAL_CLUSTER_NAME = 69,
    }
}

c_enum! {
    /// Which body buffer a body callback addresses.
    HttpBodyType {
        RECEIVED_REQUEST_BODY = 0,
        BUFFERED_REQUEST_BODY = 1,
        RECEIVED_RESPONSE_BODY = 2,
        BUFFERED_RESPONSE_BODY = 3,
    }
}

c_enum! {
    /// Return value of `on_http_filter_{request,response}_headers` (`FilterHeadersStatus`).
    HeadersStatus {
        CONTINUE = 0,
        STOP_ITERATION = 1,
        CONTINUE_AND_DONT_END_STREAM = 2,
        STOP_ALL_ITERATION_AND_BUFFER = 3,
        STOP_ALL_ITERATION_AND_WATERMARK = 4,
    }
}

c_enum! {
    /// Return value of `on_http_filter_{request,response}_body` (`FilterDataStatus`).
    BodyStatus {
        CONTINUE = 0,
        STOP_ITERATION_AND_BUFFER = 1,
        STOP_ITERATION_AND_WATERMARK = 2,
        STOP_ITERATION_NO_BUFFER = 3,
    }
}

c_enum! {
    /// Return value of `on_http_filter_{request,response}_trailers` (`FilterTrailersStatus`).
    TrailersStatus {
        CONTINUE = 0,
        STOP_ITERATION = 1,
    }
}

c_enum! {
    /// Return value of the optional `on_http_filter_local_reply` hook.
    LocalReplyStatus {
        CONTINUE = 0,
        CONTINUE_AND_RESET_STREAM = 1,
    }
}

c_enum! {
    /// Reason passed to `http_filter_reset_stream`.
    HttpFilterStreamResetReason {
        LOCAL_RESET = 0,
        LOCAL_REFUSED_STREAM_RESET = 1,
    }
}

c_enum! {
    /// Kind of access log event (`envoy.data.accesslog.v3.AccessLogType`).
    AccessLogType {
        NOT_SET = 0,
        TCP_UPSTREAM_CONNECTED = 1,
        TCP_PERIODIC = 2,
        TCP_CONNECTION_END = 3,
        DOWNSTREAM_START = 4,
        DOWNSTREAM_PERIODIC = 5,
        DOWNSTREAM_END = 6,
        UPSTREAM_POOL_READY = 7,
        UPSTREAM_PERIODIC = 8,
        UPSTREAM_END = 9,
        DOWNSTREAM_TUNNEL_SUCCESSFULLY_ESTABLISHED = 10,
        UDP_TUNNEL_UPSTREAM_CONNECTED = 11,
        UDP_PERIODIC = 12,
        UDP_SESSION_END = 13,
    }
}
