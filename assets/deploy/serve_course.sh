#!/usr/bin/env bash
# Serve optviz to a course: PROCESSES app processes behind nginx, each browser kept on one.
#
#   assets/deploy/serve_course.sh [PROCESSES] [PORT]      (defaults: 4 processes, port 8080)
#
# Starts `streamlit run app.py` PROCESSES times on loopback ports (8601, 8602, … or
# $OPTVIZ_APP_PORTS, e.g. "9001,9002"), waits until each answers /_stcore/health, renders
# assets/deploy/nginx.conf into a run directory ($OPTVIZ_RUN_DIR, else a new temporary
# one: the rendered config, nginx's logs, each app's log and a table of app port → PID)
# and runs nginx in the foreground on $OPTVIZ_ADDRESS:PORT (default 0.0.0.0). Students open
# http://<this machine>:PORT. Ctrl-C (or SIGTERM) stops nginx and every app process by
# its PID; so does any one of them exiting.
#
# Needs Debian's nginx (`apt-get install -y nginx`; $NGINX names another binary) and the
# Python that has optviz installed ($PYTHON, default python3). Runs as any user: nginx
# gets its own prefix and writes only into the run directory.
set -euo pipefail
cd "$(dirname "$0")/../.."

PROCESSES=${1:-4}
PORT=${2:-8080}
ADDRESS=${OPTVIZ_ADDRESS:-0.0.0.0}
PYTHON=${PYTHON:-python3}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
case "$PROCESSES" in '' | *[!0-9]* | 0) echo "PROCESSES must be a whole number ≥ 1" >&2; exit 2 ;; esac
if [ ! -x "$NGINX" ]; then
  echo "no nginx: install it with \`apt-get install -y nginx\` (Debian)" >&2
  exit 1
fi
if [ -n "${OPTVIZ_APP_PORTS:-}" ]; then
  IFS=, read -r -a APP_PORTS <<<"$OPTVIZ_APP_PORTS"
else
  APP_PORTS=()
  for i in $(seq 1 "$PROCESSES"); do APP_PORTS+=($((8600 + i))); done
fi
if [ "${#APP_PORTS[@]}" -ne "$PROCESSES" ]; then
  echo "OPTVIZ_APP_PORTS names ${#APP_PORTS[@]} ports for $PROCESSES processes" >&2
  exit 2
fi
RUN_DIR=${OPTVIZ_RUN_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/optviz-course.XXXXXX")}
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)

PIDS=()
stop() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  echo "stopped (logs in $RUN_DIR)"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

healthy() {  # whether $1/_stcore/health answers ok (without relying on curl)
  "$PYTHON" -c 'import sys, urllib.request
try:
    sys.exit(urllib.request.urlopen(sys.argv[1] + "/_stcore/health", timeout=3).read() != b"ok")
except OSError:
    sys.exit(1)' "$1"
}

: >"$RUN_DIR/apps.txt"
UPSTREAMS=""
for port in "${APP_PORTS[@]}"; do
  "$PYTHON" -m streamlit run app.py --server.headless=true --server.port="$port" \
    --server.address=127.0.0.1 --browser.gatherUsageStats=false \
    >"$RUN_DIR/app-$port.log" 2>&1 </dev/null &
  PIDS+=($!)
  echo "127.0.0.1:$port $!" >>"$RUN_DIR/apps.txt"
  UPSTREAMS+="        server 127.0.0.1:$port max_fails=1 fail_timeout=10s;"$'\n'
done
for i in "${!APP_PORTS[@]}"; do
  for _ in $(seq 1 120); do
    healthy "http://127.0.0.1:${APP_PORTS[$i]}" && break
    kill -0 "${PIDS[$i]}" 2>/dev/null || { echo "app on ${APP_PORTS[$i]} exited:" >&2; tail -n 20 "$RUN_DIR/app-${APP_PORTS[$i]}.log" >&2; exit 1; }
    sleep 1
  done
  healthy "http://127.0.0.1:${APP_PORTS[$i]}" || { echo "app on ${APP_PORTS[$i]} is not healthy" >&2; exit 1; }
done

UPSTREAMS=${UPSTREAMS%$'\n'}
awk -v run="$RUN_DIR" -v listen="$ADDRESS:$PORT" -v ups="$UPSTREAMS" '
  /^@UPSTREAMS@$/ { print ups; next }
  { gsub(/@RUN_DIR@/, run); gsub(/@LISTEN@/, listen); print }
' assets/deploy/nginx.conf >"$RUN_DIR/nginx.conf"
"$NGINX" -t -q -p "$RUN_DIR" -e "$RUN_DIR/error.log" -c "$RUN_DIR/nginx.conf"
"$NGINX" -p "$RUN_DIR" -e "$RUN_DIR/error.log" -c "$RUN_DIR/nginx.conf" -g "daemon off;" &
PIDS+=($!)
HOST=$ADDRESS
case "$HOST" in 0.0.0.0 | '*' | '[::]') HOST=127.0.0.1 ;; esac
for _ in $(seq 1 60); do
  healthy "http://$HOST:$PORT" && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "nginx exited:" >&2; cat "$RUN_DIR/error.log" >&2; exit 1; }
  sleep 1
done
healthy "http://$HOST:$PORT" || { echo "nginx does not answer on $HOST:$PORT" >&2; exit 1; }
SHOWN=$HOST
[ "$ADDRESS" = 0.0.0.0 ] && SHOWN=$(hostname -I 2>/dev/null | awk '{print $1}')
echo "serving optviz at http://${SHOWN:-127.0.0.1}:$PORT/ ($PROCESSES processes; run directory $RUN_DIR)"
wait -n "${PIDS[@]}" || true
echo "a process exited; stopping the others" >&2
