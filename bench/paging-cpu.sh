#!/usr/bin/env bash
# CPU per MB of the gateway process streaming a large page: a JSON page (through the link rewriter) against the
# same bytes served as text/plain (passed through untouched). nginx serves both files; curl reads through the
# gateway; the gateway's user+system CPU comes from /proc/PID/stat around each transfer. Rounds alternate.
# Usage: bash bench/paging-cpu.sh   (env: PAGE_MB=50 ROUNDS=10 JAR=target/sp-gateway.jar GATEWAY_PORT=38280
#        ADMIN_PORT=38290 UPSTREAM_PORT=38281)
set -euo pipefail
cd "$(dirname "$0")/.."
PAGE_MB=${PAGE_MB:-50}
ROUNDS=${ROUNDS:-10}
JAR=${JAR:-target/sp-gateway.jar}
GATEWAY_PORT=${GATEWAY_PORT:-38280}
ADMIN_PORT=${ADMIN_PORT:-38290}
UPSTREAM_PORT=${UPSTREAM_PORT:-38281}
HOST=127.0.0.1
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -f "$JAR" ] || { echo "build $JAR first: mvn -B -q -DskipTests package" >&2; exit 1; }
TMP=$(mktemp -d)
cleanup() {
  [ -n "${JAVA_PID:-}" ] && kill "$JAVA_PID" 2>/dev/null && wait "$JAVA_PID" 2>/dev/null || true
  [ -f "$TMP/nginx/nginx.pid" ] && kill "$(cat "$TMP/nginx/nginx.pid")" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# A Dataverse-like page: rows, then the nextLink at the upstream's own origin (so it is rewritten).
mkdir -p "$TMP/www/v1.0/users"
python3 - "$PAGE_MB" "http://$HOST:$UPSTREAM_PORT" "$TMP/www/v1.0/users/page.json" <<'PY'
import sys, uuid
mb, origin, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(path, "w") as f:
    f.write('{"@odata.context":"%s/api/data/v9.2/$metadata#accounts","value":[' % origin)
    size, row = 0, 0
    while size < mb * 1024 * 1024:
        line = ('' if row == 0 else ',') + '{"@odata.etag":"W/\\"%d\\"","name":"Contoso %d \\"Ltd\\"","revenue":%.1f,"tags":["a","b"],"accountid":"%s"}' % (
            1000 + row, row, row * 1.5, uuid.UUID(int=row))
        f.write(line); size += len(line); row += 1
    f.write('],"@odata.nextLink":"%s/v1.0/users/page.json?$skiptoken=%%3Ccookie%%20pagenumber=%%222%%22%%20/%%3E"}' % origin)
PY
cp "$TMP/www/v1.0/users/page.json" "$TMP/www/v1.0/users/page.txt"
BYTES=$(stat -c %s "$TMP/www/v1.0/users/page.json")
chmod 755 "$TMP" && chmod -R a+rX "$TMP/www" # nginx's worker runs as another user

mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  types { application/json json; text/plain txt; }
  client_body_temp_path $TMP/nginx/body; proxy_temp_path $TMP/nginx/proxy; fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi; scgi_temp_path $TMP/nginx/scgi;
  server { listen $HOST:$UPSTREAM_PORT; root $TMP/www; }
}
NGINX
"$NGINX" -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf"

BENCH_UPSTREAM_URL="http://$HOST:$UPSTREAM_PORT" java -Xmx256m ${JAVA_OPTS:-} -jar "$JAR" sandbox --config bench/sandbox-bench.yaml \
  --port "$GATEWAY_PORT" --admin-port "$ADMIN_PORT" >"$TMP/gateway.out" 2>"$TMP/gateway.err" &
JAVA_PID=$!
KEY=""
for _ in $(seq 1 240); do
  KEY=$(awk '/^Caller key: /{print $3; exit}' "$TMP/gateway.out")
  [ -n "$KEY" ] && break
  sleep 0.5
done
[ -n "$KEY" ] || { tail -n 30 "$TMP/gateway.err" >&2; echo "the sandbox did not start" >&2; exit 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$JAVA_PID/stat"; }
fetch() { curl -sS -o "$TMP/out" -w '%{http_code}' -H "X-Api-Key: $KEY" "http://$HOST:$GATEWAY_PORT/fast/v1.0/users/page.$1"; }

# Check once: the JSON page's link points at the gateway, the text page is byte for byte nginx's.
[ "$(fetch json)" = 200 ] && tail -c 400 "$TMP/out" | grep -q "\"http://$HOST:$GATEWAY_PORT/fast/v1.0/users/page.json?" \
  || { tail -c 300 "$TMP/out" >&2; echo; echo "the JSON page's nextLink was not rewritten" >&2; exit 1; }
[ "$(fetch txt)" = 200 ] && cmp -s "$TMP/out" "$TMP/www/v1.0/users/page.txt" || { echo "the text page changed" >&2; exit 1; }
for _ in 1 2 3; do fetch json >/dev/null; fetch txt >/dev/null; done # warm-up

declare -A TICKS=([json]=0 [txt]=0)
for _ in $(seq 1 "$ROUNDS"); do
  for variant in json txt; do
    before=$(cpu_ticks); fetch "$variant" >/dev/null; after=$(cpu_ticks)
    TICKS[$variant]=$(( TICKS[$variant] + after - before ))
  done
done
HZ=$(getconf CLK_TCK)
awk -v j="${TICKS[json]}" -v t="${TICKS[txt]}" -v hz="$HZ" -v bytes="$BYTES" -v rounds="$ROUNDS" 'BEGIN {
  mb = bytes * rounds / 1048576
  printf "page %.1f MB x %d rounds per variant\n", bytes / 1048576, rounds
  printf "passed through (text/plain): %.2f ms CPU per MB\n", t * 1000 / hz / mb
  printf "rewritten (application/json): %.2f ms CPU per MB\n", j * 1000 / hz / mb
  printf "rewriting costs %+.1f %%\n", (j - t) * 100 / t
}'
