//! Safe layer over the Envoy dynamic-module ABI: filter and logger traits, host trait, panic guard
