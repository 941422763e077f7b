#!/usr/bin/env bash
# Checks the Debian package that `mvn package` built (examples/target/overlay-agent_<version>_all.deb),
# as root, on this machine: installs it with apt-get, runs the installed launcher (the version, its
# JVM flags, its AppCDS archive, a 2-host vxlan demo), checks that the systemd unit is installed but
# not enabled, purges the package and checks that nothing of it is left.
#
# It leaves the machine as it found it: it refuses to run where overlay-agent is installed already,
# where a file of the package exists already, or where installing it would pull other packages, and
# on any failure it purges the package and removes what it left. scripts/test.sh runs it after
# `mvn verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

fail() {
  echo "deb-check: FAILED: $*" >&2
  exit 1
}
say() { echo "deb-check: $*"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# apt-get and dpkg chatter (e.g. debconf's note about apt-utils) is shown only when they fail.
apt_get() {
  apt-get "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "apt-get $* failed"; }
}

[ "$(id -u)" = 0 ] || fail "needs root: it installs a package, and the demo creates network namespaces"
# The settings of the caller's shell must not pick another jar or other flags.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(OVERLAY_AGENT_|FLANNELD_)' || true)

# The build's version, as the jar plugin recorded it from the POM, and jdeb's Debian form of it
# (0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT; other characters than . + ~ and alphanumerics become +).
props=examples/target/maven-archiver/pom.properties
[ -f "$props" ] || fail "$props is missing: build first (mvn -B -DskipTests package)"
version=$(sed -n 's/^version=//p' "$props")
debver=$version
case "$debver" in *-SNAPSHOT) debver="${debver%-SNAPSHOT}~SNAPSHOT" ;; esac
debver=$(printf '%s' "$debver" | sed 's/[^.+~A-Za-z0-9]/+/g; s/++*/+/g')
deb=examples/target/overlay-agent_${debver}_all.deb
[ -f "$deb" ] || fail "$deb is missing (version $version); examples/target holds: $(cd examples/target && echo *.deb)"

status=$(dpkg-query -W -f='${db:Status-Status}' overlay-agent 2>/dev/null || true)
if [ -n "$status" ] && [ "$status" != not-installed ]; then
  fail "overlay-agent is on this machine already (dpkg status: $status); this check installs and purges it: purge it first"
fi

# The package's paths, and which of them exist now: directories such as /usr/bin are shared and must
# survive the purge; any other path must not exist yet (the purge would take it away).
mapfile -t paths < <(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|; s|/$||' | grep -v '^$' | sort -u)
declare -A existed=()
for p in "${paths[@]}"; do
  if [ -e "$p" ] || [ -L "$p" ]; then
    [ -d "$p" ] || fail "$p exists already and is not the package's: installing would overwrite it, purging would remove it"
    existed[$p]=1
  fi
done
# What the package and the agent make at run time, beyond the package's files.
cache=/var/cache/overlaynet
archive=$cache/overlay-agent.jsa
fallback=/var/tmp/overlay-agent-0.jsa # the launcher's archive where $cache is not writable
runtime=("$archive" "$archive.from")
[ -e "$fallback" ] || runtime+=("$fallback" "$fallback.from")
for p in "$cache" /usr/share/overlaynet; do
  [ ! -e "$p" ] || fail "$p exists already (left by an earlier install?): the purge would remove it; remove it first"
done
demo_prefix=debcheck
ip netns list | grep -q "^$demo_prefix-" && fail "network namespaces $demo_prefix-* exist already (a demo of another run?)"

sim=$(apt-get install -s --no-install-recommends "./$deb" 2>&1) || fail "apt-get cannot install $deb: $sim"
extra=$(sed -n 's/^Inst \([^ ]*\).*/\1/p' <<<"$sim" | grep -vx overlay-agent || true)
[ -z "$extra" ] || fail "installing $deb would also install: $(echo $extra); install them first (scripts/test.sh does)"

# From here on, any exit puts the machine back: purge the package, remove what it left.
cleanup() {
  local st=$? p
  p=$(dpkg-query -W -f='${db:Status-Status}' overlay-agent 2>/dev/null || true)
  if [ -n "$p" ] && [ "$p" != not-installed ]; then
    echo "deb-check: cleaning up: apt-get purge overlay-agent" >&2
    apt-get purge -y -qq overlay-agent >/dev/null 2>&1 || true
  fi
  for p in "${runtime[@]}" $(printf '%s\n' "${paths[@]}" | sort -r); do
    if [ -z "${existed[$p]:-}" ] && { [ -e "$p" ] || [ -L "$p" ]; }; then
      echo "deb-check: cleaning up: removing $p" >&2
      if [ -d "$p" ] && [ ! -L "$p" ]; then rm -rf "$p"; else rm -f "$p"; fi
    fi
  done
  rm -f "$log"
  exit "$st"
}
trap cleanup EXIT

say "installing $deb"
apt_get install -y -q --no-install-recommends "./$deb"
[ "$(dpkg-query -W -f='${db:Status-Status} ${Version}' overlay-agent)" = "installed $debver" ] \
  || fail "dpkg does not have overlay-agent $debver installed: $(dpkg-query -W -f='${db:Status-Status} ${Version}' overlay-agent)"
mapfile -t listed < <(dpkg -L overlay-agent | grep -vx '/\.' | sort -u)
[ "$(printf '%s\n' "${listed[@]}")" = "$(printf '%s\n' "${paths[@]}")" ] \
  || fail "dpkg -L differs from the package's contents: $(diff <(printf '%s\n' "${paths[@]}") <(printf '%s\n' "${listed[@]}") | tr '\n' ' ')"
dpkg-query -W -f='${Conffiles}\n' overlay-agent | grep -q '^ /etc/default/overlay-agent ' \
  || fail "/etc/default/overlay-agent is not a conffile: $(dpkg-query -W -f='${Conffiles}' overlay-agent)"

# --version: the installed launcher runs the installed jar of this build.
got=$(/usr/bin/overlay-agent --version)
[ "$got" = "overlaynet $version (flannel v0.20-compatible)" ] \
  || fail "overlay-agent --version printed '$got', not overlaynet $version"
# OVERLAY_AGENT_EXTRA_JAVA_OPTS adds to the launcher's flags: the launcher's heap and GC stay.
flags=$(OVERLAY_AGENT_EXTRA_JAVA_OPTS='-XX:+PrintFlagsFinal -XshowSettings:properties' /usr/bin/overlay-agent --version 2>&1)
for want in 'bool UseSerialGC += true ' 'size_t MaxHeapSize += 134217728 ' 'java.class.path = /usr/share/overlaynet/overlay-agent.jar$'; do
  grep -Eq "$want" <<<"$flags" \
    || fail "with OVERLAY_AGENT_EXTRA_JAVA_OPTS the agent's JVM lacks '$want' (the launcher's flags or the packaged jar)"
done
say "overlay-agent --version: $got; OVERLAY_AGENT_EXTRA_JAVA_OPTS keeps the launcher's flags"

# The AppCDS archive goes to the package's cache directory, not /usr: an agent run (here one that
# stops at once on a bad flag, touching nothing) writes it when it exits, the next run maps it.
set +e
/usr/bin/overlay-agent --deb-check-no-such-flag >/dev/null 2>&1
st=$?
set -e
[ "$st" = 2 ] || fail "overlay-agent --deb-check-no-such-flag exited with $st, not 2 (a bad flag)"
[ -s "$archive" ] && [ -s "$archive.from" ] || fail "the agent's first run did not write $archive and $archive.from"
[ "$(ls -A /usr/share/overlaynet)" = overlay-agent.jar ] \
  || fail "the agent wrote into /usr/share/overlaynet: $(ls -A /usr/share/overlaynet | tr '\n' ' ')"
loaded=$(OVERLAY_AGENT_EXTRA_JAVA_OPTS='-Xlog:class+load=info' /usr/bin/overlay-agent --deb-check-no-such-flag 2>/dev/null || true)
grep -q 'io.overlaynet.examples.OverlayAgent source: shared objects file (top)' <<<"$loaded" \
  || fail "the second run did not map the agent's classes from $archive"
say "AppCDS archive: $archive written by the first run, mapped by the next"

say "demo through the installed launcher: overlay-agent demo --backend vxlan --hosts 2"
set +e
out=$(/usr/bin/overlay-agent demo --backend vxlan --hosts 2 --prefix "$demo_prefix" 2>"$log")
st=$?
set -e
echo "$out" | sed 's/^/  | /'
[ "$st" = 0 ] || { sed 's/^/  | /' "$log" >&2; fail "the demo exited with status $st"; }
grep -q '^HOST  *PUBLIC IP  *SUBNET' <<<"$out" || fail "the demo printed no table"
grep -q '^OK: 2 of 2 container pairs reachable over vxlan' <<<"$out" || fail "the demo did not report 2 of 2 pairs reachable"
left=$(ip netns list | grep "^$demo_prefix-" || true)
[ -z "$left" ] || fail "the demo left network namespaces: $(echo $left)"

# The unit is installed, and the package did not enable it (systemctl may not run here: look at the
# files systemctl enable would make).
unit=/lib/systemd/system/overlay-agent.service
[ -f "$unit" ] || fail "$unit is not installed"
for want in 'Type=notify' 'EnvironmentFile=-/etc/default/overlay-agent' 'ExecStart=/usr/bin/overlay-agent' \
    'Restart=on-failure' 'TimeoutStopSec=10' 'WantedBy=multi-user.target'; do
  grep -qx "$want" "$unit" || fail "$unit lacks the line $want"
done
if command -v systemd-analyze >/dev/null; then
  # Where systemd is installed, its own parser: unknown keys, a missing ExecStart binary.
  systemd-analyze verify "$unit" >"$log" 2>&1 || { cat "$log" >&2; fail "systemd-analyze verify rejects $unit"; }
fi
enabled=$(find /etc/systemd/system -name overlay-agent.service 2>/dev/null || true)
[ -z "$enabled" ] || fail "the package enabled (or masked) the unit: $(echo $enabled)"
say "unit $unit installed, not enabled"

say "purging overlay-agent"
apt_get purge -y -q overlay-agent
status=$(dpkg-query -W -f='${db:Status-Status}' overlay-agent 2>/dev/null || true)
[ -z "$status" ] || [ "$status" = not-installed ] || fail "after the purge dpkg still has overlay-agent: $status"
remaining=()
for p in "${listed[@]}" "${runtime[@]}"; do
  if [ -n "${existed[$p]:-}" ]; then
    [ -d "$p" ] || fail "the purge removed $p, which existed before the package"
  elif [ -e "$p" ] || [ -L "$p" ]; then
    remaining+=("$p")
  fi
done
[ "${#remaining[@]}" = 0 ] || fail "the purge left: ${remaining[*]}"
say "OK: installed, ran, purged; nothing of overlay-agent is left"
