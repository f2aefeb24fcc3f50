//! Kubernetes resource types: kgateway-compatible CRDs and the Gateway API types we read
