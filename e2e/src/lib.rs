//! End-to-end harness: real Envoy 1.40 with libdynagate.so, echo upstream, real HTTP over loopback
