#!/usr/bin/env bash
# udp backend throughput benchmark (docs/BENCHMARKS.md, "udp throughput").
# Needs root, iperf3, and the module's dependencies in the local Maven repository.
#   scripts/bench-udp.sh            4 + 4 runs of 10 s per configuration
#   scripts/bench-udp.sh --quick    2 + 2 runs of 3 s
#   scripts/bench-udp.sh -- ARGS    one configuration, ARGS passed to UdpBench
#                                   (--rounds N --seconds S --queues Q --batch B --label L
#                                    --no-offload | --offload [--no-gso] [--no-gro]; default = UdpOptions.DEFAULT)
#   BENCH_JAVA_OPTS="-XX:TieredStopAtLevel=1" scripts/bench-udp.sh -- ...   with other JVM flags
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=4; seconds=10
if [[ "${1:-}" == "--quick" ]]; then rounds=2; seconds=3; shift; fi
mvn -B -o -q -pl overlay-backend-udp -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >/dev/null
m=overlay-backend-udp
cp="$m/target/classes:$m/target/test-classes:$(cat $m/target/bench.classpath)"
run() { java ${BENCH_JAVA_OPTS:-} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" io.overlaynet.udp.UdpBench "$@"; }
if [[ "${1:-}" == "--" ]]; then shift; run --rounds "$rounds" --seconds "$seconds" "$@"; exit; fi
echo "machine: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)"
run --rounds "$rounds" --seconds "$seconds" --no-offload --batch 1 --label "1: one packet per syscall (flanneld-like)"
run --rounds "$rounds" --seconds "$seconds" --no-offload --batch 32 --label "2: batched sendmmsg/recvmmsg"
run --rounds "$rounds" --seconds "$seconds" --no-offload --batch 32 --queues 2 --label "3: batched, 2 queues"
run --rounds "$rounds" --seconds "$seconds" --offload --no-gso --no-gro --label "5: TUN offload: TSO in, received TCP segments coalesced into TUN super-packets"
run --rounds "$rounds" --seconds "$seconds" --offload --no-gro --label "6: + UDP GSO (UDP_SEGMENT) on send"
run --rounds "$rounds" --seconds "$seconds" --offload --label "7: + UDP GRO on receive (default)"
