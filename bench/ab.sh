#!/usr/bin/env bash
# Interleaved A/B of gateway builds: the same request through each jar, turn by turn, with the gateway CPU time per
# request (utime+stime of its process over the requests wrk completed). The shared harness's fixed-answer nginx is
# the upstream and its gw-sandbox.yaml the config (every stage on); gateways and upstream on core 0, wrk on core 1.
#   bash bench/ab.sh /tmp/before.jar target/sp-gateway.jar      # ROUNDS=4 DUR=10 WARM=40 JOPTS="-Xms512m -Xmx512m"
# Each gateway warms up once (WARM s); then ROUNDS rounds of DUR s each, in turn. Prints medians and ranges.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd); OUT=${OUT:-/tmp/sp-ab}; ROUNDS=${ROUNDS:-4}; DUR=${DUR:-10}; WARM=${WARM:-40}
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"
GWS=(); PORTS=(); NAMES=()
i=0
for jar in "$@"; do
  i=$((i+1)); port=$((9004 + 100*i)); aport=$((port+1))
  sed "s/port: 9004/port: $port/; s/port: 9005/port: $aport/" "$OUT/conf/gw-sandbox.yaml" > "$OUT/conf/gw-$i.yaml"
  taskset -c 0 java ${JOPTS:--Xms512m -Xmx512m} -jar "$(readlink -f $jar)" sandbox --config "$OUT/conf/gw-$i.yaml" --port $port --admin-port $aport >"$OUT/gateway-$i.out" 2>&1 & GWS+=($!); PIDS+=($!); PORTS+=($port); NAMES+=($(basename $jar .jar))
done
url() { echo "http://127.0.0.1:$1$USER_PATH"; }
for p in "${PORTS[@]}"; do await_gateway "$(url "$p")"; done
for p in "${PORTS[@]}"; do taskset -c 1 wrk -t1 -c64 -d"${WARM}s" -H "X-Api-Key: $API_KEY" "$(url $p)" >/dev/null; done
: > $OUT/results.txt
for r in $(seq 1 $ROUNDS); do
  for k in "${!PORTS[@]}"; do
    gw=${GWS[$k]}; before=$(awk '{print $14 + $15}' /proc/$gw/stat)
    taskset -c 1 wrk -t1 -c64 -d"${DUR}s" --latency -H "X-Api-Key: $API_KEY" "$(url ${PORTS[$k]})" >"$OUT/wrk.txt"
    after=$(awk '{print $14 + $15}' /proc/$gw/stat)
    req=$(awk '/requests in/ {print $1}' "$OUT/wrk.txt"); rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt")
    cpu=$(awk -v t=$((after - before)) -v r="$req" 'BEGIN {printf "%.1f", t * 10000 / r}')
    echo "${NAMES[$k]} r$r rps=$rps cpu_us=$cpu" | tee -a $OUT/results.txt
  done
done
python3 - "$OUT/results.txt" <<'PY'
import sys,statistics,collections
d=collections.defaultdict(lambda:([],[]))
for l in open(sys.argv[1]):
    n,r,a,b=l.split(); d[n][0].append(float(a.split('=')[1])); d[n][1].append(float(b.split('=')[1]))
for n,(rps,cpu) in d.items(): print(f"{n}: median {statistics.median(rps):.0f} req/s [{min(rps):.0f}-{max(rps):.0f}], cpu {statistics.median(cpu):.1f} us/req [{min(cpu):.1f}-{max(cpu):.1f}]")
PY
