# Thin entry points; the logic lives in scripts/ and in the crates.
# Heavy builds are cached outside the checkout so a fresh clone reuses them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/dynagate/target
CARGO ?= cargo

.PHONY: all envoy kube build modules run test lint unit e2e bench fmt chart

all: build

envoy:
	@./scripts/install-envoy.sh >/dev/null

# kube-apiserver, kube-controller-manager, kubectl (built once per machine, cached) and etcd for the
# Kubernetes e2e suite (e2e/tests/kubernetes.rs).
kube:
	@./scripts/install-kube.sh >/dev/null

build:
	$(CARGO) build --workspace

# libdynagate.so plus the test-only probe module the e2e tests load, and the controller binary the
# Kubernetes e2e suite runs.
modules:
	$(CARGO) build -p dynagate-module -p dynagate-e2e-probe
	$(CARGO) build -p dynagate-controller --bin dynagate

run: envoy
	./scripts/run.sh

# The one test command (README, .ci/run): installs what is missing, lints, unit tests, e2e tests.
test: envoy kube lint modules chart
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace --exclude dynagate-e2e

e2e: envoy kube modules
	$(CARGO) test -p dynagate-e2e

bench: envoy
	$(CARGO) bench --workspace

fmt:
	$(CARGO) fmt --all

# The Helm chart: lint (strict) and render it, CRDs included. Helm comes from scripts/install-helm.sh (cached).
# The committed CRDs are checked against the Rust types by `cargo test -p dynagate-controller --test crds`.
chart:
	@helm=$$(./scripts/install-helm.sh) && \
	  "$$helm" lint --strict charts/dynagate && \
	  "$$helm" template dynagate charts/dynagate --namespace dynagate-system --include-crds >/dev/null && \
	  echo "chart: helm lint and helm template OK"
