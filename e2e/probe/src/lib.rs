//! Test-only dynamic module exercising the SDK surface in e2e tests; never shipped
