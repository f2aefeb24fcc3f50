#!/usr/bin/env bash
# `make run`: the whole thing on one machine. Builds libdynagate.so and the controller, then starts
#   1. the echo backend the examples route to (127.0.0.1:18080, fixed by examples/backend.yaml),
#   2. `dynagate run --manifests examples/` (xDS on $DYNAGATE_XDS_ADDR, admin on $DYNAGATE_ADMIN_ADDR),
#   3. Envoy 1.40 with the bootstrap from `dynagate bootstrap` (listener 8080 from examples/gateway.yaml,
#      admin on 127.0.0.1:$ENVOY_ADMIN_PORT),
# prints curl lines to try, and stops everything on Ctrl-C. Edit examples/*.yaml while it runs: the
# change reaches Envoy within a second; a broken file is reported and the last good config keeps serving.
#
# Overridable: DYNAGATE_XDS_ADDR (127.0.0.1:18000), DYNAGATE_ADMIN_ADDR (127.0.0.1:19000),
# ENVOY_ADMIN_PORT (19001), ENVOY_BIN (else scripts/install-envoy.sh), CARGO_TARGET_DIR, DYNAGATE_LOG.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

xds_addr=${DYNAGATE_XDS_ADDR:-127.0.0.1:18000}
admin_addr=${DYNAGATE_ADMIN_ADDR:-127.0.0.1:19000}
envoy_admin_port=${ENVOY_ADMIN_PORT:-19001}
gateway_port=8080 # examples/gateway.yaml
echo_port=18080   # examples/backend.yaml
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/dynagate/target}

say() { printf '\033[1m%s\033[0m\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

port_free() { # host port
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(1)
PY
}
for spec in "127.0.0.1 $gateway_port examples/gateway.yaml listener" "127.0.0.1 $echo_port examples/backend.yaml echo backend" \
            "${xds_addr%:*} ${xds_addr##*:} DYNAGATE_XDS_ADDR" "${admin_addr%:*} ${admin_addr##*:} DYNAGATE_ADMIN_ADDR" \
            "127.0.0.1 $envoy_admin_port ENVOY_ADMIN_PORT"; do
  set -- $spec
  host=$1 port=$2; shift 2
  port_free "$host" "$port" || die "port $host:$port is taken (used by $*); free it or override"
done

say "building libdynagate.so and dynagate"
cargo build -p dynagate-module -p dynagate-controller
bin_dir="$CARGO_TARGET_DIR/debug"
dynagate="$bin_dir/dynagate"
[ -f "$bin_dir/libdynagate.so" ] || die "libdynagate.so not found in $bin_dir"
envoy=${ENVOY_BIN:-$("$root/scripts/install-envoy.sh")}

work=$(mktemp -d "${TMPDIR:-/tmp}/dynagate-run.XXXXXX")
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped; logs were in $work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting the echo backend on 127.0.0.1:$echo_port"
# Children run in their own sessions: Ctrl-C reaches only this script, whose trap stops them in order.
setsid python3 -u - "$echo_port" >"$work/echo.log" 2>&1 <<'PY' &
# Answers every request with JSON describing it: method, path, headers, body.
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        seen = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body}
        reply = (json.dumps(seen, indent=2) + "\n").encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
PY
pids+=($!)

say "starting dynagate run --manifests examples/"
setsid "$dynagate" run --manifests examples/ --xds-addr "$xds_addr" --admin-addr "$admin_addr" \
  >"$work/dynagate.out" 2>"$work/dynagate.log" &
pids+=($!)
for _ in $(seq 1 100); do
  grep -q '^dynagate ready:' "$work/dynagate.out" 2>/dev/null && break
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/dynagate.log" >&2; die "dynagate exited"; }
  sleep 0.1
done
grep -q '^dynagate ready:' "$work/dynagate.out" || die "dynagate did not start; see $work/dynagate.log"

"$dynagate" bootstrap --gateway default/example --xds-addr "$xds_addr" --module-dir "$bin_dir" \
  --admin-port "$envoy_admin_port" >"$work/envoy.yaml"
say "starting Envoy ($("$envoy" --version | sed -n 's#.*/\([0-9.]*\)/.*#\1#p' | head -1)) with $work/envoy.yaml"
ENVOY_DYNAMIC_MODULES_SEARCH_PATH="$bin_dir" setsid "$envoy" -c "$work/envoy.yaml" --disable-hot-restart \
  --log-level "${ENVOY_LOG_LEVEL:-info}" >"$work/envoy.log" 2>&1 &
pids+=($!)

# Envoy listens once the controller has sent the Gateway's listener; wait for the example route to answer.
ready=""
for _ in $(seq 1 150); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$gateway_port/" 2>/dev/null; then ready=1; break; fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$work/envoy.log" "$work/dynagate.log" >&2; die "a process exited"; }
  done
  sleep 0.2
done
[ -n "$ready" ] || {
  tail -n 20 "$work/dynagate.log" "$work/envoy.log" >&2
  die "Envoy did not serve http://127.0.0.1:$gateway_port/ within 30s (status: curl http://$admin_addr/status)"
}

cat <<EOF

$(say "dynagate is serving examples/ through Envoy on http://127.0.0.1:$gateway_port")
# the echo backend answers with the request it received
curl -i http://127.0.0.1:$gateway_port/hello
# route api: x-gateway (HTTPRoute filter) and x-client (TrafficPolicy) reach the backend,
# x-upstream-status (TrafficPolicy) comes back
curl -i http://127.0.0.1:$gateway_port/api/pets
# the controller: manifest errors, object conditions, what each Envoy ACKed or NACKed; metrics
curl -s http://$admin_addr/status
curl -s http://$admin_addr/metrics
# what Envoy holds
curl -s http://127.0.0.1:$envoy_admin_port/config_dump

Edit examples/*.yaml and curl again. Logs: $work/{dynagate,envoy,echo}.log   Stop: Ctrl-C
EOF

# Run until Ctrl-C or until one of the processes dies.
while true; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$work/dynagate.log" "$work/envoy.log" >&2
      die "a process exited unexpectedly"
    fi
  done
  sleep 1
done
