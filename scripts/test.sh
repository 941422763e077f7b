#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) and runs every test: unit, kernel (network
# namespaces, root) and etcd (a real etcd process started by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  openjdk-17-jdk-headless maven etcd-server etcd-client iproute2 iptables iputils-ping tcpdump openssl procps \
  >/dev/null
mvn -B -ntp verify
