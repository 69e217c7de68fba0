#!/usr/bin/env bash
# Start (or with "down", remove) the example's running service on the local engine:
#   shop-web    the front end, run with hardened flags on its own network
#   shop-cache  a helper started the careless way (root, default bridge, no limits)
# Both carry the label com.example.stack=shop, which the pytest command selects them by.
set -euo pipefail
cd "$(dirname "$0")"
LABEL=com.example.stack=shop

if [ "${1:-up}" = down ]; then
  docker rm -f shop-web shop-cache >/dev/null 2>&1 || true
  docker network rm shop-net >/dev/null 2>&1 || true
  exit 0
fi

busybox=$(command -v busybox || echo /bin/busybox)
cp "$busybox" web/busybox
trap 'rm -f web/busybox' EXIT
docker build -q -t example/shop-web:1.0 web >/dev/null
docker network inspect shop-net >/dev/null 2>&1 || docker network create --label "$LABEL" shop-net >/dev/null

docker rm -f shop-web shop-cache >/dev/null 2>&1 || true
docker run -d --name shop-web --label "$LABEL" --network shop-net \
  --read-only --user 1000 --cap-drop ALL --security-opt no-new-privileges \
  --memory 64m --cpus 0.5 --pids-limit 64 --restart on-failure:3 \
  --log-opt max-size=10m --log-opt max-file=3 \
  -p 127.0.0.1:18080:8080 example/shop-web:1.0 >/dev/null
docker run -d --name shop-cache --label "$LABEL" --user 0 example/shop-web:1.0 sleep 86400 >/dev/null
echo "started shop-web and shop-cache"
