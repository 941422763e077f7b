#!/usr/bin/env bash
# Start-up time and resident memory of the example agent process, against a real etcd on loopback.
#
# Everything runs in one fresh network namespace that this script creates (its own loopback, a
# veth pair e0/e1 with 198.18.0.1/15 on e0 as the "underlay"): etcd listens on that namespace's
# 127.0.0.1, the agent (vxlan backend) talks to it there. No traffic leaves the namespace.
#
#   start-up  = process start (just before exec of java) -> subnet.env present (polled every 10 ms),
#               the same measure as flanneld's in flannel-reference.md B5; RUNS runs, the first with
#               no lease in etcd, the others with the lease still there (a restart).
#   footprint = VmRSS from /proc/<pid>/status 3 s after start, and again after LEASES vxlan leases
#               (default 5000) were written to etcd and every route is in the kernel.
#
# Usage (root):  scripts/bench-agent-process.sh [--runs N] [--leases N] [--jar PATH] [--log FILE] [--launcher | -- JVM flags...]
#   JVM flags default to the launcher's (examples/bin/overlay-agent); give "--" and flags to compare others,
#   e.g.  scripts/bench-agent-process.sh -- -XX:+UseSerialGC          (no CDS archive)
#   The launcher itself is measured with  --launcher  (it creates its AppCDS archive on the first run).
#   AGENT_ARGS="--etcd-transport=grpc" adds agent flags (e.g. to compare the etcd transports).
#   SCRAPE=<port> (with AGENT_ARGS="--healthz-port=<port>") scrapes /metrics twice before each RSS
#   reading and times GET /metrics and GET /status, so that the footprint includes what serving
#   them costs (the Prometheus writer is loaded on the first scrape); SCRAPE_STATUS=0 leaves /status out.
#   Every run is scraped once before it stops, so the launcher's AppCDS archive (written when the
#   first run exits) holds those classes, as on a node whose agent is scraped.
#   RSS_AFTER=<seconds> (default 3) is when the RSS is read, after start and after the last route.
#   SMAPS=<file> saves /proc/<pid>/smaps after start; NMT=<file> saves the JVM's native memory summary
#   after start and with the leases (<file>.leases) when -XX:NativeMemoryTracking=summary is among the flags.
# Needs: etcd + etcdctl (etcd-server, etcd-client), iproute2, python3, a built agent jar
#   (mvn -B -o -DskipTests package).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=5
LEASES=5000
JAR=examples/target/overlay-agent.jar
LAUNCHER=0
LOG=""
JVM_FLAGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --leases) LEASES="$2"; shift 2 ;;
    --jar) JAR="$2"; shift 2 ;;
    --launcher) LAUNCHER=1; shift ;;
    --log) LOG="$2"; shift 2 ;;
    --) shift; JVM_FLAGS=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }
for t in etcd etcdctl ip python3 java; do
  command -v "$t" >/dev/null || { echo "missing $t (apt-get install etcd-server etcd-client iproute2 python3)" >&2; exit 1; }
done
[ -f "$JAR" ] || { echo "no $JAR: build it with mvn -B -o -DskipTests package" >&2; exit 1; }
JAR=$(cd "$(dirname "$JAR")" && pwd)/$(basename "$JAR")

NS=ovbench$(printf '%04x%04x' $RANDOM $RANDOM)
WORK=$(mktemp -d /tmp/bench-agent.XXXXXX)
ETCD_PID=""
AGENT_PID=""
cleanup() {
  set +e
  [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
  [ -n "$ETCD_PID" ] && kill "$ETCD_PID" 2>/dev/null && wait "$ETCD_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  [ -n "$LOG" ] && cp "$WORK/agent.log" "$LOG"
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add e0 type veth peer name e1
ip -n "$NS" addr add 198.18.0.1/15 dev e0
ip -n "$NS" link set e0 up
ip -n "$NS" link set e1 up

ip netns exec "$NS" etcd --name bench --data-dir "$WORK/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster bench=http://127.0.0.1:2380 >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
export ETCDCTL_API=3
for _ in $(seq 100); do
  ip netns exec "$NS" etcdctl --endpoints=http://127.0.0.1:2379 endpoint health >/dev/null 2>&1 && break
  sleep 0.1
done
ip netns exec "$NS" etcdctl --endpoints=http://127.0.0.1:2379 put /coreos.com/network/config \
  '{"Network":"10.0.0.0/8","SubnetLen":24,"SubnetMin":"10.1.0.0","SubnetMax":"10.1.255.0","Backend":{"Type":"vxlan"}}' >/dev/null

now_ms() { date +%s%3N; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

start_agent() { # starts the agent in the namespace; sets AGENT_PID; returns the start time in ms
  rm -f "$WORK/subnet.env"
  local args=(--etcd-endpoints=http://127.0.0.1:2379 --iface=e0 --subnet-file="$WORK/subnet.env")
  # shellcheck disable=SC2206 # AGENT_ARGS is a list of flags
  args+=(${AGENT_ARGS:-})
  T0=$(now_ms)
  if [ "$LAUNCHER" = 1 ]; then
    OVERLAY_AGENT_JAR="$JAR" ip netns exec "$NS" examples/bin/overlay-agent "${args[@]}" >>"$WORK/agent.log" 2>&1 &
  else
    ip netns exec "$NS" java "${JVM_FLAGS[@]}" -jar "$JAR" "${args[@]}" >>"$WORK/agent.log" 2>&1 &
  fi
  AGENT_PID=$!
  while [ ! -s "$WORK/subnet.env" ]; do
    kill -0 "$AGENT_PID" 2>/dev/null || { echo "agent exited:" >&2; tail -20 "$WORK/agent.log" >&2; exit 1; }
    sleep 0.01
  done
  T1=$(now_ms)
}

stop_agent() {
  kill "$AGENT_PID"
  wait "$AGENT_PID" 2>/dev/null || true
  AGENT_PID=""
}

echo "machine: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r), $(java -version 2>&1 | head -1)"
if [ "$LAUNCHER" = 1 ]; then
  echo "JVM flags: the launcher's (examples/bin/overlay-agent)"
else
  echo "JVM flags: ${JVM_FLAGS[*]:-(none)}"
fi
scrape() { # GET /metrics twice and /status once from inside the namespace; prints their times
  [ -n "${SCRAPE:-}" ] || return 0
  ip netns exec "$NS" python3 - "$SCRAPE" "${SCRAPE_STATUS:-1}" <<'EOF'
import sys, time, urllib.request
port = sys.argv[1]
def get(path):
    t = time.monotonic()
    with urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path), timeout=30) as r:
        body = r.read()
    return (time.monotonic() - t) * 1000, len(body)
m1 = get("/metrics"); m2 = get("/metrics"); s = get("/status") if sys.argv[2] != "0" else (0.0, 0)
print("scrape: first /metrics %.1f ms, second %.1f ms (%d bytes); /status %.1f ms (%d bytes)" % (m1[0], m2[0], m2[1], s[0], s[1]))
EOF
}

STARTS=()
for r in $(seq "$RUNS"); do
  start_agent
  STARTS+=($((T1 - T0)))
  echo "run $r: start -> subnet.env $((T1 - T0)) ms"
  if [ "$r" -lt "$RUNS" ]; then
    scrape >/dev/null
    stop_agent
  fi
done

# The last run stays up: footprint after start, then after LEASES leases.
sleep 1
scrape
sleep "${RSS_AFTER:-3}"
RSS_START=$(rss_kb "$AGENT_PID")
[ -n "${SMAPS:-}" ] && cp "/proc/$AGENT_PID/smaps" "$SMAPS"
# With -XX:NativeMemoryTracking=summary among the JVM flags, NMT=<file> saves the JVM's own breakdown.
[ -n "${NMT:-}" ] && jcmd "$AGENT_PID" VM.native_memory summary >"$NMT" 2>&1 && jcmd "$AGENT_PID" Thread.print >"$NMT.threads" 2>&1
echo "VmRSS ${RSS_AFTER:-3} s after start: $((RSS_START / 1024)) MB ($RSS_START kB), threads $(awk '/^Threads/ {print $2}' "/proc/$AGENT_PID/status")"

echo "writing $LEASES vxlan leases to etcd"
ip netns exec "$NS" python3 - "$LEASES" <<'EOF'
import base64, http.client, json, sys
n = int(sys.argv[1])
c = http.client.HTTPConnection("127.0.0.1", 2379)
b64 = lambda s: base64.b64encode(s.encode()).decode()
for i in range(n):
    a, b = 100 + i // 256, i % 256  # 10.100.0.0/24 on; the agent's own lease is in 10.1.0.0/16 (SubnetMax)
    ip = "198.18.%d.%d" % (1 + i // 250, 1 + i % 250)
    mac = "02:42:%02x:%02x:%02x:%02x" % (0xbe, 0xef, i >> 8, i & 255)
    v = {"PublicIP": ip, "PublicIPv6": None, "BackendType": "vxlan", "BackendData": {"VNI": 1, "VtepMAC": mac}}
    body = json.dumps({"key": b64("/coreos.com/network/subnets/10.%d.%d.0-24" % (a, b)), "value": b64(json.dumps(v))})
    c.request("POST", "/v3/kv/put", body, {"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit("put failed: %d" % r.status)
EOF
own=$(sed -n 's/^FLANNEL_SUBNET=//p' "$WORK/subnet.env")
echo "own subnet: $own"
W0=$(now_ms)
for _ in $(seq 600); do
  n=$(ip -n "$NS" -4 route show dev flannel.1 | grep -c onlink || true)
  [ "$n" -ge "$LEASES" ] && break
  sleep 0.1
done
echo "routes on flannel.1: $n (all $LEASES present $(( $(now_ms) - W0 )) ms after the last put)"
echo "ARP entries: $(ip -n "$NS" neigh show dev flannel.1 | grep -c PERMANENT), FDB entries: $(ip -n "$NS" link show flannel.1 >/dev/null && bridge -n "$NS" fdb show dev flannel.1 | grep -c 'dst 198.18')"
scrape
sleep "${RSS_AFTER:-3}"
RSS_LEASES=$(rss_kb "$AGENT_PID")
[ -n "${NMT:-}" ] && jcmd "$AGENT_PID" VM.native_memory summary >"$NMT.leases" 2>&1
echo "VmRSS with $LEASES leases: $((RSS_LEASES / 1024)) MB ($RSS_LEASES kB)"
SORTED=$(printf '%s\n' "${STARTS[@]}" | sort -n | tr '\n' ' ')
echo "SUMMARY start-up ms (sorted): $SORTED| first (no lease) ${STARTS[0]} ms | RSS start $((RSS_START / 1024)) MB | RSS $LEASES leases $((RSS_LEASES / 1024)) MB"
stop_agent
