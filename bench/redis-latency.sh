#!/usr/bin/env bash
# What the Redis budget store adds to a request: percentiles of one decision (one EVALSHA round trip) against a
# redis-server on loopback. Starts its own redis-server on a free port and stops it at the end.
#
#   bash bench/redis-latency.sh [count]        # default 50000 sequential decisions after a fifth as warm-up
#
# Env: REDIS_SERVER (a redis-server binary; default: the one on PATH, else the Linux x86_64 binary in the
#      embedded-redis test dependency, which `mvn verify` has fetched), REDIS_PORT (38379).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-50000}
REDIS_PORT=${REDIS_PORT:-38379}
TMP=$(mktemp -d /tmp/sp-gateway-redis-bench.XXXXXX)
REDIS_PID=""
cleanup() { [ -z "$REDIS_PID" ] || kill "$REDIS_PID" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

mvn -B -q -DskipTests install
mvn -B -q -f bench/jmh/pom.xml package

SERVER=${REDIS_SERVER:-$(command -v redis-server || true)}
if [ -z "$SERVER" ]; then
  JAR=$(find ~/.m2/repository/com/github/codemonstur/embedded-redis -name 'embedded-redis-*.jar' | sort | tail -n 1)
  [ -n "$JAR" ] || { echo "no redis-server: install one, or run mvn -B verify first" >&2; exit 1; }
  (cd "$TMP" && unzip -q -o "$JAR" redis-server-6.2.6-v5-linux-amd64 && chmod +x redis-server-6.2.6-v5-linux-amd64)
  SERVER=$TMP/redis-server-6.2.6-v5-linux-amd64
fi
"$SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$TMP/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 1 50); do grep -q 'Ready to accept connections' "$TMP/redis.log" && break; sleep 0.1; done
grep -q 'Ready to accept connections' "$TMP/redis.log" || { cat "$TMP/redis.log" >&2; exit 1; }

echo "redis-server: $("$SERVER" --version | head -n 1)"
java -cp bench/jmh/target/benchmarks.jar dev.spgateway.bench.RedisDecisionLatency "redis://127.0.0.1:$REDIS_PORT" "$COUNT"
