#!/usr/bin/env bash
# Interleaved A/B of gateway builds: the same request through each jar, turn by turn, with the gateway CPU time per
# request (utime+stime of its process over the requests wrk completed). The shared harness's fixed-answer nginx is
# the upstream and its gw-sandbox.yaml the config (every stage on); gateways and upstream on core 0, wrk on core 1.
#   bash bench/ab.sh /tmp/before.jar target/sp-gateway.jar      # ROUNDS=4 DUR=10 WARM=40 JOPTS="-Xms512m -Xmx512m"
# Each target warms up once (WARM s); then ROUNDS rounds of DUR s each, in turn. Prints medians and ranges.
# Besides jars, a target may be "nginx" (the harness's proxy nginx, one worker: CPU of its processes) or
# "bare:client" / "bare:httpproxy" (bench/floor/BareProxy.java on JAR's Vert.x: the same job with nothing else;
# "bare:netty": bench/floor/BareNetty.java, the same on raw Netty without Vert.x;
# httpproxy takes vertx-http-proxy from the local Maven repository, fetching it if need be). A jar may carry JVM
# options of its own after "+" signs: target/sp-gateway.jar+-Dio.netty.allocator.type=pooled.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd); OUT=${OUT:-/tmp/sp-ab}; ROUNDS=${ROUNDS:-4}; DUR=${DUR:-10}; WARM=${WARM:-40}
# shellcheck source=bench/harness.sh
source "$ROOT/bench/harness.sh"
GWS=(); PORTS=(); NAMES=(); PREFIXES=()
i=0
JAR=$(readlink -f "${JAR:-$ROOT/target/sp-gateway.jar}")
HTTP_PROXY_JAR=$HOME/.m2/repository/io/vertx/vertx-http-proxy/5.0.10/vertx-http-proxy-5.0.10.jar
if [[ " $* " == *" bare:httpproxy "* && ! -f $HTTP_PROXY_JAR ]]; then
  mvn -B -q dependency:get -Dartifact=io.vertx:vertx-http-proxy:5.0.10
fi
for target in "$@"; do
  i=$((i+1)); port=$((9004 + 100*i)); aport=$((port+1))
  case $target in
    nginx)
      sed "s/127.0.0.1:9002/127.0.0.1:$port/" "$OUT/conf/proxy-nginx.conf" > "$OUT/conf/proxy-$i.conf"
      taskset -c 0 nginx -p "$OUT/" -e "$OUT/proxy-$i-error.log" -c "$OUT/conf/proxy-$i.conf" -g 'daemon off;' \
        >"$OUT/gateway-$i.out" 2>&1 & ;;
    bare:netty)
      taskset -c 0 java ${JOPTS:--Xms512m -Xmx512m} -cp "$JAR" "$ROOT/bench/floor/BareNetty.java" \
        $port 9001 "$OUT/conf/token.txt" >"$OUT/gateway-$i.out" 2>&1 & ;;
    bare:*)
      taskset -c 0 java ${JOPTS:--Xms512m -Xmx512m} -cp "$JAR:$HTTP_PROXY_JAR" "$ROOT/bench/floor/BareProxy.java" "${target#bare:}" \
        $port 9001 "$OUT/conf/token.txt" >"$OUT/gateway-$i.out" 2>&1 & ;;
    *)
      sed "s/port: 9004/port: $port/; s/port: 9005/port: $aport/" "$OUT/conf/gw-sandbox.yaml" > "$OUT/conf/gw-$i.yaml"
      IFS=+ read -r jar own <<<"$target"
      taskset -c 0 java ${JOPTS:--Xms512m -Xmx512m} ${own//+/ } -jar "$(readlink -f "$jar")" sandbox --config "$OUT/conf/gw-$i.yaml" \
        --port $port --admin-port $aport >"$OUT/gateway-$i.out" 2>&1 & ;;
  esac
  GWS+=($!); PIDS+=($!); PORTS+=($port); PREFIXES+=("$([[ $target == nginx ]] || echo /fast)"); NAMES+=("$i-$(basename "${target%%+*}" .jar)")
done
# CPU clock ticks of a target's process and its children (nginx's worker).
ticks() { local sum=0 p; for p in $1 $(pgrep -P "$1" || true); do sum=$((sum + $(awk '{print $14 + $15}' /proc/$p/stat))); done; echo $sum; }
url() { echo "http://127.0.0.1:${PORTS[$1]}${PREFIXES[$1]}${USER_PATH#/fast}"; }
for k in "${!PORTS[@]}"; do await_gateway "$(url "$k")"; done
for k in "${!PORTS[@]}"; do taskset -c 1 wrk -t1 -c64 -d"${WARM}s" -H "X-Api-Key: $API_KEY" "$(url "$k")" >/dev/null; done
: > $OUT/results.txt
for r in $(seq 1 $ROUNDS); do
  for k in "${!PORTS[@]}"; do
    gw=${GWS[$k]}; before=$(ticks $gw)
    taskset -c 1 wrk -t1 -c64 -d"${DUR}s" --latency -H "X-Api-Key: $API_KEY" "$(url "$k")" >"$OUT/wrk.txt"
    after=$(ticks $gw)
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
