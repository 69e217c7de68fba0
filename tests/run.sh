#!/usr/bin/env bash
# The project's test command: installs what the tests need (Debian's docker.io, busybox-static,
# skopeo, docker-registry, util-linux, iproute2, openssl, python3-rpm, rpm, db5.3-util,
# node-semver; the package with its test extras), starts a
# Docker engine when none answers, runs pytest on tests/, and stops the engine it started.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'tests/run.sh: %s\n' "$*" >&2; }

install_debian_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v unshare >/dev/null || missing+=(util-linux)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v openssl >/dev/null || missing+=(openssl)
  # Oracles for the version comparators: rpm's own rpmvercmp and node-semver.
  /usr/bin/python3 -c 'import rpm' 2>/dev/null || missing+=(python3-rpm rpm)
  # Berkeley DB's db_load writes the rpm Packages databases the inventory tests read.
  command -v db5.3_load >/dev/null || missing+=(db5.3-util)
  [ -e /usr/share/nodejs/semver/package.json ] || missing+=(node-semver)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing ${missing[*]} and not root: install them, or the engine tests skip"
    return 0
  fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

STARTED_PID=""
start_engine() {
  engine_answers && return 0
  command -v dockerd >/dev/null || { log "no dockerd: engine tests will skip (fail in CI)"; return 0; }
  log "starting dockerd"
  dockerd >/tmp/ctrsec-dockerd.log 2>&1 &
  STARTED_PID=$!
  for _ in $(seq 1 60); do
    engine_answers && { log "engine up"; return 0; }
    sleep 1
  done
  log "dockerd did not answer within 60 s; see /tmp/ctrsec-dockerd.log"
  tail -n 20 /tmp/ctrsec-dockerd.log >&2 || true
}

stop_engine() {
  if [ -n "$STARTED_PID" ]; then
    kill "$STARTED_PID" 2>/dev/null || true
    wait "$STARTED_PID" 2>/dev/null || true
  fi
}

install_debian_packages
python -m pip install -q -e '.[test]' 2>&1 | grep -v -e '^WARNING: Running pip as' -e 'dependency conflicts' >&2 || true
start_engine
trap stop_engine EXIT
python -m pytest tests "$@"
