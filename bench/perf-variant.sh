#!/usr/bin/env bash
# Runs ../shared/perf/run.sh (nginx, HAProxy and sp-gateway side by side) in a variant the shared harness does not
# have. shared/ is read-only, so the harness is copied to a temp folder and changed there.
#   bash bench/perf-variant.sh tls      # the fake Graph also on HTTPS :9443 (self-signed RSA 2048); nginx, HAProxy and
#                                       # sp-gateway reach it over TLS with keep-alive; prints TLS handshakes per
#                                       # 1,000 upstream requests for each run (nginx stub_status on :9009)
#   bash bench/perf-variant.sh loops1   # sp-gateway with listener.eventLoops: 1 (compare with SRV_CPUS=0,1)
#   bash bench/perf-variant.sh plain    # the harness as it is (with the fix below)
# Every knob of run.sh passes through (GW_JAR, REPS, DUR, WARMUP, SRV_CPUS, RATE_PER_CLIENT, RUN, ...).
set -euo pipefail
VARIANT=${1:?tls, loops1 or plain}
SRC=$(cd "$(dirname "$0")/../.." && pwd)/shared/perf
[[ -d $SRC ]] || SRC=${PERF_HARNESS:?set PERF_HARNESS to the shared perf folder}
DIR=$(mktemp -d /tmp/sp-perf-$VARIANT.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
cp -r "$SRC"/. "$DIR"/ && chmod -R u+w "$DIR"
# run.sh records versions with `haproxy -v | head -1` under pipefail: when head exits first, haproxy's SIGPIPE ends the
# whole run at random. sed reads to the end.
sed -i 's/haproxy -v | head -1/haproxy -v | sed -n 1p/; s/{ wrk --version 2>\&1 || true; } | head -1/{ wrk --version 2>\&1 || true; } | sed -n 1p/' \
  "$DIR/run.sh"
C=$DIR/conf
case $VARIANT in
  tls)
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
      -keyout "$C/upstream-key.pem" -out "$C/upstream-cert.pem" 2>/dev/null
    python3 - "$C" <<'PY'
import sys
c = sys.argv[1]
def edit(name, old, new):
    s = open(f"{c}/{name}").read()
    assert old in s, (name, old)
    open(f"{c}/{name}", "w").write(s.replace(old, new))
edit("upstream-nginx.conf", "        listen 127.0.0.1:9001 backlog=4096;", """        listen 127.0.0.1:9001 backlog=4096;
        listen 127.0.0.1:9443 ssl backlog=4096;
        ssl_certificate @BASE@/conf/upstream-cert.pem;
        ssl_certificate_key @BASE@/conf/upstream-key.pem;
        ssl_session_cache shared:SSL:1m;""")
s = open(f"{c}/upstream-nginx.conf").read().rstrip()
open(f"{c}/upstream-nginx.conf", "w").write(s[:-1] + """    server {
        listen 127.0.0.1:9009;
        location = /status { stub_status; }
    }
}
""")
edit("proxy-nginx.conf", "server 127.0.0.1:9001;", "server 127.0.0.1:9443;")
edit("proxy-nginx.conf", "proxy_pass http://graph;", """proxy_pass https://graph;
            proxy_ssl_session_reuse on;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate @BASE@/conf/upstream-cert.pem;
            proxy_ssl_name 127.0.0.1;""")
edit("proxy-haproxy.cfg", "server up1 127.0.0.1:9001",
     "server up1 127.0.0.1:9443 ssl verify required ca-file @BASE@/conf/upstream-cert.pem sni str(127.0.0.1)")
edit("gw-sandbox.yaml", 'fast:  { url: "http://127.0.0.1:9001"', 'fast:  { url: "https://127.0.0.1:9443"')
edit("gw-sandbox.yaml", 'tls: { trustPemFiles: [ "${SANDBOX_TRUST_PEM}" ] }',
     'tls: { trustPemFiles: [ "${SANDBOX_TRUST_PEM}", "@BASE@/conf/upstream-cert.pem" ] }')
# Before and after each measured run: the upstream's connection and request counters.
s = open(f"{c}/../run.sh").read()
s = s.replace('    snap >"$f.stat0"; b0=($(busy)); o0=$(ours)',
              '    curl -s http://127.0.0.1:9009/status >"$f.up0" || true\n    snap >"$f.stat0"; b0=($(busy)); o0=$(ours)')
s = s.replace('    o1=$(ours); b1=($(busy)); snap >"$f.stat1"',
              '    o1=$(ours); b1=($(busy)); snap >"$f.stat1"\n    curl -s http://127.0.0.1:9009/status >"$f.up1" || true')
s = s.replace("for port in 9001 9002 9003; do", "for port in 9001 9002 9003 9443 9009; do")
open(f"{c}/../run.sh", "w").write(s)
PY
    ;;
  loops1)
    sed -i 's/^listener: { host: 127.0.0.1, port: 9004 }/listener: { host: 127.0.0.1, port: 9004, eventLoops: 1 }/' \
      "$C/gw-sandbox.yaml"
    grep -q 'eventLoops: 1' "$C/gw-sandbox.yaml"
    ;;
  plain) ;;
  *) echo "unknown variant $VARIANT" >&2; exit 2 ;;
esac
OUT_LOG=$DIR/run.log
bash "$DIR/run.sh" | tee "$OUT_LOG"
RESULTS=$(sed -n 's/^results in //p' "$OUT_LOG")
if [[ $VARIANT == tls && -n $RESULTS ]]; then
  python3 - "$RESULTS" <<'PY' | tee "$RESULTS/handshakes.txt"
import glob, os, sys
# new upstream connections (each one a TLS handshake) per 1,000 requests the upstream served, per measured run
for up0 in sorted(glob.glob(sys.argv[1] + "/*.up0")):
    up1 = up0[:-4] + ".up1"
    if not os.path.exists(up1) or os.path.basename(up0).split("_")[1] == "direct":
        continue
    def counts(p):
        accepts, handled, requests = map(int, open(p).read().split("\n")[2].split())
        return handled, requests
    (h0, r0), (h1, r1) = counts(up0), counts(up1)
    if r1 > r0:
        print(f"{os.path.basename(up0)[:-4]}: {h1 - h0} handshakes / {r1 - r0} upstream requests = "
              f"{1000 * (h1 - h0) / (r1 - r0):.3f} per 1,000")
PY
fi
