"""Where a request's CPU time goes, from async-profiler's collapsed stacks (-e cpu -t, see profile.sh).

usage: profile_table.py US_PER_REQUEST FILE.collapsed

Each sample goes to one row: by thread first (JIT compiler, GC, audit writer), then, on an event loop, to the
row of the innermost frame a rule below recognises (so the kernel's part of a write made by the forwarder counts
as kernel, and a HashMap lookup made by the budget stage counts as budgets). Samples of the event loop being
switched out for another process are left out of the shares (they measure the shared machine, not the gateway).
"""
import collections
import re
import sys

RULES = [
  (r'^(schedule|__schedule)_\[k\]', 'preempted (other processes on the core)'),
  (r'_\[k\]$', 'kernel: TCP send/receive, epoll'),
  (r'^io/micrometer|^dev/spgateway/gateway/RequestMetrics', 'metrics (Micrometer)'),
  (r'^dev/spgateway/audit', 'audit record (event loop side)'),
  (r'^dev/spgateway/ratelimit', 'stage: budgets'),
  (r'^dev/spgateway/identity', 'stage: identify (key hash)'),
  (r'^dev/spgateway/policy', 'stage: policy'),
  (r'^dev/spgateway/credential|^com/github/benmanes/caffeine', 'stage: token cache'),
  (r'^io/vertx/httpproxy|^dev/spgateway/proxy', 'vertx-http-proxy + Forwarder (copies, hygiene, Date)'),
  (r'^dev/spgateway/gateway', 'pipeline glue (Pipeline, Exchange)'),
  (r'^java/time', 'vertx-http-proxy + Forwarder (copies, hygiene, Date)'),
  (r'^io/netty/handler/codec|^io/vertx/core/http|^io/vertx/core/net|HeadersMultiMap|AsciiString|hashCodeAscii|utf8MaxBytes|HttpHeaders', 'Netty/Vert.x HTTP codec + headers'),
  (r'^io/netty/handler/ssl|^sun/security/ssl|tcnative|SSL_|ssl_|aes|gcm|sha256_impl', 'TLS'),
  (r'^io/vertx/core|^io/netty', 'Netty/Vert.x event loop, buffers, futures'),
]
RULES=[(re.compile(p),c) for p,c in RULES]
def bucket(fr):
  t=fr[0]
  if 'C2 Compiler' in t or 'C1 Compiler' in t: return 'JIT compiler'
  if 'GC' in t or 'VM Thread' in t or 'G1 ' in t: return 'GC / VM'
  if 'audit-writer' in t:
    return 'audit writer thread: kernel (write, fsync)' if any(x.endswith('_[k]') for x in fr[-3:]) and fr[-1].endswith('_[k]') else 'audit writer thread: JSON + SHA-256'
  if 'eventloop' not in t: return 'other threads'
  if any(x.startswith('exit_to_user_mode_loop') for x in fr) and any(x.startswith('schedule_') for x in fr):
    return 'preempted (other processes on the core)'
  for f in reversed(fr[1:]):
    for p,c in RULES:
      if p.search(f): return c
  return 'other (JDK, stubs)'
tot=collections.Counter()
usreq=float(sys.argv[1])
for line in open(sys.argv[2]):
  stack,n=line.rstrip().rsplit(' ',1)
  tot[bucket(stack.split(';'))]+=int(n)
s=sum(tot.values())
pre=tot.get('preempted (other processes on the core)',0)
print(f"# {sys.argv[2]}: {s} samples, {usreq} us/req measured; shares exclude preemption ({pre*100/s:.1f}%)")
s2=s-pre
for k,v in tot.most_common():
  if k.startswith('preempted'): continue
  print(f"| {k} | {v*100/s2:.1f} % | {v/s2*usreq*(s2/s):.1f} µs |")
