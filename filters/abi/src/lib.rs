//! Raw extern "C" declarations for the Envoy 1.40 dynamic-module ABI (v0.2.0), written by us
