#!/usr/bin/env bash
# Build the example image (default tag example/app:1.0; further arguments go to docker build):
#   example_suites/image/build.sh [TAG [DOCKER-BUILD-OPTION...]]
# The Dockerfile starts FROM scratch, so the host's static busybox (Debian: busybox-static)
# is copied into the build context for the build and removed afterwards.
set -euo pipefail
cd "$(dirname "$0")"
tag=${1:-example/app:1.0}
busybox=$(command -v busybox || echo /bin/busybox)
if ldd "$busybox" >/dev/null 2>&1; then
  echo "build.sh: $busybox is dynamically linked; install a static one (Debian: busybox-static)" >&2
  exit 1
fi
cp "$busybox" busybox
trap 'rm -f busybox' EXIT
docker build -q -t "$tag" "${@:2}" . >/dev/null
echo "built $tag"
