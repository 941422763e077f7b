#!/usr/bin/env bash
# udp backend throughput benchmark (docs/BENCHMARKS.md, "udp throughput").
# Needs root, iperf3, and the module's dependencies in the local Maven repository.
#   scripts/bench-udp.sh            4 + 4 runs of 10 s per configuration
#   scripts/bench-udp.sh --quick    2 + 2 runs of 3 s
#   scripts/bench-udp.sh -- ARGS    one configuration, ARGS passed to UdpBench
#                                   (--rounds N --seconds S --queues Q --batch B --label L)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=4; seconds=10
if [[ "${1:-}" == "--quick" ]]; then rounds=2; seconds=3; shift; fi
mvn -B -o -q -pl overlay-backend-udp test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >/dev/null
m=overlay-backend-udp
cp="$m/target/classes:$m/target/test-classes:$(cat $m/target/bench.classpath)"
run() { java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" io.overlaynet.udp.UdpBench "$@"; }
if [[ "${1:-}" == "--" ]]; then shift; run --rounds "$rounds" --seconds "$seconds" "$@"; exit; fi
echo "machine: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
run --rounds "$rounds" --seconds "$seconds" --batch 1 --label "one packet per syscall (flanneld-like)"
run --rounds "$rounds" --seconds "$seconds" --batch 32 --label "batched sendmmsg/recvmmsg (default)"
run --rounds "$rounds" --seconds "$seconds" --batch 32 --queues 2 --label "batched, 2 queues"
run --rounds "$rounds" --seconds "$seconds" --batch 32 --offload --label "batched + TUN offload (IFF_VNET_HDR, TSO segmented in Java)"
