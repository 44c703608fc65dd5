# Sourced by bench/profile.sh, syscalls.sh and ab.sh: the shared harness (../shared/perf, or PERF_HARNESS) set up in
# $OUT as its run.sh does: configs rendered, its fixed-answer nginx upstream started on core 0, and whatever is
# started (append its PID to PIDS) stopped on exit. Needs ROOT and OUT set.
HARNESS=${PERF_HARNESS:-$ROOT/../shared/perf}
API_KEY=test-key-123
USER_PATH=/fast/v1.0/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd
PIDS=()
stop_started() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap stop_started EXIT
mkdir -p "$OUT/conf" "$OUT/run"
for f in "$HARNESS"/conf/*; do sed "s|@BASE@|$OUT|g" "$f" >"$OUT/conf/${f##*/}"; done
taskset -c 0 nginx -p "$OUT/" -e "$OUT/upstream-error.log" -c "$OUT/conf/upstream-nginx.conf" -g 'daemon off;' \
  >"$OUT/upstream.out" 2>&1 & PIDS+=($!)

# Waits (at most 60 s) until the gateway at $1 answers the harness's request.
await_gateway() {
  for _ in $(seq 1 300); do curl -sf -o /dev/null -H "X-Api-Key: $API_KEY" "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2; return 1
}
