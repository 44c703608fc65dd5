#!/usr/bin/env bash
# System calls per request of the gateway under load: strace -c on every thread of the gateway process while wrk
# runs (strace slows it several times; the counts per request are what to read). The shared harness's fixed-answer
# nginx is the upstream and its gw-sandbox.yaml the config; gateway and upstream on core 0, wrk on core 1.
#   bash bench/syscalls.sh                 # JAR=target/sp-gateway.jar WARM=20 CONNS=64; needs strace (Debian)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JAR=$(readlink -f "${JAR:-$ROOT/target/sp-gateway.jar}"); WARM=${WARM:-20}; CONNS=${CONNS:-64}
OUT=${OUT:-/tmp/sp-syscalls}
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"
taskset -c 0 java -Xms512m -Xmx512m -jar "$JAR" sandbox --config "$OUT/conf/gw-sandbox.yaml" --port 9004 --admin-port 9005 \
  >"$OUT/gateway.out" 2>&1 & GW=$!; PIDS+=($GW)
URL=http://127.0.0.1:9004$USER_PATH
await_gateway "$URL"
taskset -c 1 wrk -t1 -c"$CONNS" -d"${WARM}s" -H "X-Api-Key: $API_KEY" "$URL" >/dev/null
THREADS=$(for t in /proc/$GW/task/*; do echo -n "-p ${t##*/} "; done)
# shellcheck disable=SC2086
timeout -s INT 10 strace -c -f $THREADS -o "$OUT/strace.txt" 2>/dev/null & ST=$!
sleep 1
taskset -c 1 wrk -t1 -c"$CONNS" -d6s -H "X-Api-Key: $API_KEY" "$URL" >"$OUT/wrk.txt"
wait $ST || true
requests=$(awk '/requests in/ {print $1}' "$OUT/wrk.txt")
echo "$requests requests; system calls per request, every thread of the gateway:"
awk -v r="$requests" '$NF != "total" && $4 ~ /^[0-9]+$/ {printf "  %-16s %7.3f\n", $NF, $4 / r}' "$OUT/strace.txt" \
  | sort -k2 -nr | head -12
