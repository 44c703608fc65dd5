#!/usr/bin/env bash
# Throughput and latency of one small GET straight to an upstream (nginx) and through sp-gateway.
# See bench/README.md. Loopback only: everything listens on and is called at 127.0.0.1.
#
#   bash bench/run.sh                      # from anywhere; about 60 s
#   DURATION=30s CONNECTIONS=128 bash bench/run.sh
#   LIMITS=on bash bench/run.sh            # the same with caller and service-principal budgets checked on
#                                          # every request (set high enough never to refuse)
#   AUTH=entra bash bench/run.sh           # callers identified by an Entra ID token (from the sandbox's Entra ID
#                                          # stand-in) instead of an API key: the script path of docs/SCRIPTS.md
#
# Env: DURATION (15s), CONNECTIONS (64), WARMUP (60s), WARMUP_CONNECTIONS (64), GATEWAY_PORT (38180),
#      ADMIN_PORT (38190), UPSTREAM_PORT (38181), KEEP_TMP=1 keeps the temp dir (logs, nginx conf, audit file),
#      JAR (target/sp-gateway.jar; built if missing), JAVA_OPTS (added after -Xms512m -Xmx512m, e.g. for JFR).
set -euo pipefail

DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
# The JVM needs its JIT to settle: measured after 5 s it did half the steady-state throughput.
WARMUP=${WARMUP:-60s}
WARMUP_CONNECTIONS=${WARMUP_CONNECTIONS:-$CONNECTIONS}
GATEWAY_PORT=${GATEWAY_PORT:-38180}
ADMIN_PORT=${ADMIN_PORT:-38190}
UPSTREAM_PORT=${UPSTREAM_PORT:-38181}
HOST=127.0.0.1

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR=${JAR:-$REPO/target/sp-gateway.jar}
CONFIG="$REPO/bench/sandbox-bench.yaml"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- tools -------------------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}; install them (apt-get install -y wrk nginx-light) or run as root"
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for tool in java curl taskset awk; do command -v "$tool" >/dev/null || die "$tool is required"; done
[ "$(nproc)" -ge 2 ] || die "needs 2 cores (gateway+upstream on core 0, wrk on core 1); nproc=$(nproc)"

if [ ! -f "$JAR" ]; then
  log "building $JAR"
  (cd "$REPO" && mvn -B -q -DskipTests package)
fi
[ -f "$JAR" ] || die "no jar at $JAR"
newer=$(find "$REPO/src/main" "$REPO/pom.xml" -newer "$JAR" -type f 2>/dev/null | head -n 3 || true)
[ -z "$newer" ] || log "WARNING: $JAR is older than $(echo $newer | tr '\n' ' ')... - rebuild it (mvn -B -q -DskipTests package)"

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
for port in "$GATEWAY_PORT" "$ADMIN_PORT" "$UPSTREAM_PORT"; do
  ! port_in_use "$port" || die "port $port on $HOST is already in use; set GATEWAY_PORT/ADMIN_PORT/UPSTREAM_PORT"
done

# --- cleanup: stop whatever this script started ------------------------------------------------------
TMP=$(mktemp -d /tmp/sp-gateway-bench.XXXXXX)
NGINX_PID=""
JAVA_PID=""
SANDBOX_DIR=""
stop() { # pid: TERM, up to 10 s, then KILL
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop "$JAVA_PID"
  stop "$NGINX_PID"
  if [ "${KEEP_TMP:-0}" = 1 ]; then
    log "kept $TMP${SANDBOX_DIR:+ and $SANDBOX_DIR}"
  else
    rm -rf "$TMP"
    case "$SANDBOX_DIR" in /tmp/sp-gateway-sandbox*) rm -rf "$SANDBOX_DIR" ;; esac
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${LIMITS:-off}" = on ]; then
  # The same config plus budgets no run can exhaust: what checking them costs, not what refusing does.
  sed -e 's/^    apiKey: { sha256: "${SANDBOX_CALLER_KEY_SHA256}" }$/&\n    limits: { perSecond: 1000000, burst: 1000000, perDay: 1000000000000 }/' \
    -e 's/^    entra: { appId: "${SANDBOX_SCRIPT_ID}", roles: \[ Gateway.Call \] }$/&\n    limits: { perSecond: 1000000, burst: 1000000, perDay: 1000000000000 }/' \
    "$CONFIG" >"$TMP/bench-limits.yaml"
  printf 'ratelimit: { servicePrincipals: { finance: { perDay: 1000000000000 } } }\n' >>"$TMP/bench-limits.yaml"
  grep -q '^    limits: ' "$TMP/bench-limits.yaml" || die "could not add limits to $CONFIG"
  CONFIG="$TMP/bench-limits.yaml"
fi

# --- upstream: nginx, one worker, fixed ~400-byte Graph-like body -------------------------------------
BODY='{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users/$entity","businessPhones":["+1 425 555 0109"],"displayName":"Adele Vance","givenName":"Adele","jobTitle":"Retail Manager","mail":"AdeleV@contoso.onmicrosoft.com","mobilePhone":null,"officeLocation":"18/2111","preferredLanguage":"en-US","surname":"Vance","userPrincipalName":"AdeleV@contoso.onmicrosoft.com","id":"87d349ed-44d7-43e1-9a83-5f2406dee5bd"}'
BODY=${BODY//\$/\$\{dollar\}} # nginx expands $name inside return; ${dollar} is a literal '$' (geo below)
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  keepalive_requests 1000000;
  geo \$dollar { default "\$"; }
  server {
    listen $HOST:$UPSTREAM_PORT;
    location ~ ^/v1\.0/users/[^/]+\$ {
      default_type application/json;
      return 200 '$BODY';
    }
    location / { return 404; }
  }
}
EOF
log "starting nginx on $HOST:$UPSTREAM_PORT (core 0)"
taskset -c 0 "$NGINX" -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" \
  >"$TMP/nginx/stdout.log" 2>&1 &
NGINX_PID=$!

wait_for() { # url tries: poll with curl every 0.5 s
  local url=$1 tries=$2 i
  for i in $(seq 1 "$tries"); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}
wait_for "http://$HOST:$UPSTREAM_PORT/v1.0/users/42" 20 \
  || { cat "$TMP/nginx/error.log" "$TMP/nginx/stdout.log" >&2 || true; die "nginx did not answer"; }
BODY_BYTES=$(curl -sS "http://$HOST:$UPSTREAM_PORT/v1.0/users/42" | wc -c)

# --- gateway: the sandbox (Entra ID and Key Vault stand-ins) with bench/sandbox-bench.yaml -----------
log "starting the sandbox gateway on $HOST:$GATEWAY_PORT, admin $ADMIN_PORT (core 0)"
BENCH_UPSTREAM_URL="http://$HOST:$UPSTREAM_PORT" \
  taskset -c 0 java -Xms512m -Xmx512m ${JAVA_OPTS:-} -jar "$JAR" sandbox --config "$CONFIG" \
  --port "$GATEWAY_PORT" --admin-port "$ADMIN_PORT" >"$TMP/gateway.out" 2>"$TMP/gateway.err" &
JAVA_PID=$!
if ! wait_for "http://$HOST:$ADMIN_PORT/health/ready" 120; then
  tail -n 40 "$TMP/gateway.out" "$TMP/gateway.err" >&2 || true
  die "the gateway was not ready within 60 s"
fi
KEY=""
for _ in $(seq 1 20); do # the key is printed just after the listener is ready
  KEY=$(awk '/^Caller key: /{print $3; exit}' "$TMP/gateway.out")
  [ -n "$KEY" ] && break
  sleep 0.25
done
[ -n "$KEY" ] || die "no 'Caller key: ' line in the sandbox's output"
AUTH=${AUTH:-api-key}
case "$AUTH" in
  api-key) AUTH_HEADER="X-Api-Key: $KEY"; CALLER=invoice-flow ;;
  entra)
    # The client-credentials line the sandbox prints (caller nightly-report): one token, reused like a script does.
    TOKEN_LINE=$(grep -m1 'grant_type=client_credentials' "$TMP/gateway.out" | sed -E 's/^ +//')
    [ -n "$TOKEN_LINE" ] || die "no client-credentials token line in the sandbox's output"
    eval "$TOKEN_LINE"
    [ -n "${TOKEN:-}" ] && [ "${TOKEN#ey}" != "$TOKEN" ] || die "the sandbox's Entra ID stand-in gave no token"
    AUTH_HEADER="Authorization: Bearer $TOKEN"; CALLER=nightly-report ;;
  *) die "AUTH must be api-key or entra, not '$AUTH'" ;;
esac
SANDBOX_DIR=$(awk '$1=="audit" && $2=="log"{print $3; exit}' "$TMP/gateway.out" | xargs -r dirname)

GW_URL="http://$HOST:$GATEWAY_PORT/fast/v1.0/users/42"
DIRECT_URL="http://$HOST:$UPSTREAM_PORT/v1.0/users/42"
status=$(curl -sS -o "$TMP/check.json" -w '%{http_code}' -H "$AUTH_HEADER" "$GW_URL")
[ "$status" = 200 ] || { cat "$TMP/check.json" >&2; die "a request through the gateway got $status, not 200"; }
cmp -s "$TMP/check.json" <(curl -sS "$DIRECT_URL") || die "the gateway's body differs from the upstream's"

# --- load ------------------------------------------------------------------------------------------
WRK=(taskset -c 1 wrk -t1)
ERR_LINES_BEFORE=$(wc -l <"$TMP/gateway.err")
log "warm-up: $WARMUP x $WARMUP_CONNECTIONS connections, each target"
"${WRK[@]}" -c"$WARMUP_CONNECTIONS" -d"$WARMUP" "$DIRECT_URL" >"$TMP/warmup-direct.txt"
"${WRK[@]}" -c"$WARMUP_CONNECTIONS" -d"$WARMUP" -H "$AUTH_HEADER" "$GW_URL" >"$TMP/warmup-gateway.txt"

log "direct:  wrk -t1 -c$CONNECTIONS -d$DURATION --latency $DIRECT_URL"
"${WRK[@]}" -c"$CONNECTIONS" -d"$DURATION" --latency "$DIRECT_URL" >"$TMP/direct.txt"
log "gateway: wrk -t1 -c$CONNECTIONS -d$DURATION --latency -H '${AUTH_HEADER%%:*}: ...' $GW_URL"
"${WRK[@]}" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$AUTH_HEADER" "$GW_URL" >"$TMP/gateway.txt"
sleep 1 # lets the gateway log what the end of the run (wrk closing its connections) caused
ERR_LINES_AFTER=$(wc -l <"$TMP/gateway.err")

# --- report ----------------------------------------------------------------------------------------
# wrk prints latencies as 812.00us, 1.23ms, 1.02s; to_ms turns them into milliseconds.
to_ms() { awk -v v="$1" 'BEGIN{ n=v+0; u=v; sub(/^[0-9.]+/,"",u);
  if(u=="us") n/=1000; else if(u=="s") n*=1000; else if(u=="m") n*=60000; printf "%.3f", n }'; }
rps() { awk '/^Requests\/sec:/{print $2}' "$1"; }
pct() { awk -v p="$2%" '/Latency Distribution/{d=1; next} d && $1==p {print $2; exit}' "$1"; }
reqs() { awk '/requests in/{print $1; exit}' "$1"; }
non2xx() { awk -F': *' '/Non-2xx or 3xx responses/{print $2; found=1} END{if(!found) print 0}' "$1"; }
sockerr() { awk '/Socket errors/{sub(/^ *Socket errors: */,""); print; found=1} END{if(!found) print "none"}' "$1"; }

echo
echo "sp-gateway bench: GET, ${BODY_BYTES}-byte JSON body, wrk -t1 -c$CONNECTIONS -d$DURATION (core 1);" \
  "nginx + gateway on core 0; $(nproc) cores, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)"
echo "auth: $AUTH (caller $CALLER); limits: ${LIMITS:-off}; jar: $JAR ($(date -r "$JAR" '+%F %T')); repo at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')"
printf '%-8s %12s %10s %10s %10s %8s  %s\n' target req/s p50_ms p99_ms requests non2xx socket_errors
for t in direct gateway; do
  f="$TMP/$t.txt"
  printf '%-8s %12s %10s %10s %10s %8s  %s\n' "$t" "$(rps "$f")" "$(to_ms "$(pct "$f" 50)")" \
    "$(to_ms "$(pct "$f" 99)")" "$(reqs "$f")" "$(non2xx "$f")" "$(sockerr "$f")"
done
d50=$(to_ms "$(pct "$TMP/direct.txt" 50)"); g50=$(to_ms "$(pct "$TMP/gateway.txt" 50)")
d99=$(to_ms "$(pct "$TMP/direct.txt" 99)"); g99=$(to_ms "$(pct "$TMP/gateway.txt" 99)")
awk -v d50="$d50" -v g50="$g50" -v d99="$d99" -v g99="$g99" -v dr="$(rps "$TMP/direct.txt")" \
  -v gr="$(rps "$TMP/gateway.txt")" 'BEGIN{
  printf "gateway overhead: p50 +%.3f ms, p99 +%.3f ms, throughput %.1f%% of direct (%.2fx fewer req/s)\n",
    g50-d50, g99-d99, 100*gr/dr, dr/gr }'

# Did the gateway run really go through the gateway?
curl -fsS --max-time 5 "http://$HOST:$ADMIN_PORT/metrics" >"$TMP/metrics.txt"
metric() { awk -v m="$1" 'index($0, m" ")==1 || index($0, m"{")==1 {v=$NF} END{print (v==""?"absent":v)}' "$TMP/metrics.txt"; }
ok=$(awk -v c="caller=\"$CALLER\"" '/^gateway_requests_total\{/ && index($0, c) && /status="200"/ && /upstream="fast"/{print $NF}' \
  "$TMP/metrics.txt")
other=$(awk -v c="caller=\"$CALLER\"" '/^gateway_requests_total\{/ && !(index($0, c) && /status="200"/ && /upstream="fast"/){s+=$NF}
  END{print s+0}' "$TMP/metrics.txt")
sent=$(( $(reqs "$TMP/warmup-gateway.txt") + $(reqs "$TMP/gateway.txt") + 1 ))
echo "metrics: gateway_requests_total{caller=\"$CALLER\",status=\"200\",upstream=\"fast\"} = ${ok:-absent}" \
  "(wrk+curl completed $sent through the gateway, warm-up included); other statuses: $other;" \
  "audit records written $(metric gateway_audit_records_total), lost $(metric gateway_audit_lost_total)"
awk '/^gateway_upstream_duration_seconds_(sum|count)\{.*upstream="fast"/{ if($1 ~ /_sum/) s=$NF; else c=$NF }
  END{ if(c>0) printf "gateway-measured upstream time (send to response headers): mean %.3f ms over %d requests\n",
  1000*s/c, c }' "$TMP/metrics.txt"
new_err=$((ERR_LINES_AFTER - ERR_LINES_BEFORE))
echo "gateway log lines (stderr) from warm-up to the end of load: $new_err"
[ "$new_err" -eq 0 ] || sed -n "$((ERR_LINES_BEFORE + 1)),${ERR_LINES_AFTER}p" "$TMP/gateway.err" \
  | sed -E 's/^[0-9T:.Z+-]+ //' | sort | uniq -c | sort -rn | head -n 5

fail=0
for t in direct gateway; do
  n=$(non2xx "$TMP/$t.txt")
  [ "$n" = 0 ] || { log "WARNING: $t run had $n non-2xx/3xx responses"; fail=1; }
done
[ -n "$ok" ] && awk -v a="$ok" -v b="$sent" 'BEGIN{exit !(a+0 >= b)}' \
  || { log "WARNING: the gateway counted fewer 200s to 'fast' than wrk completed"; fail=1; }
exit "$fail"
