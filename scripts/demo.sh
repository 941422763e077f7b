#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root), builds overlaynet and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  openjdk-17-jdk-headless maven iproute2 iptables nftables iputils-ping procps >/dev/null
mvn -B -ntp -q -DskipTests package
# 3 hosts and 3 containers in network namespaces, vxlan; pass e.g. --backend udp --hosts 4.
exec java -jar examples/target/overlay-agent.jar demo "$@"
