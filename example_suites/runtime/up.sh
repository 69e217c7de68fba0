#!/usr/bin/env bash
# Start (or with "down", remove) the example's running service on the local engine:
#   shop-web    the front end, run with hardened flags on its own network
#   shop-cache  a helper started the careless way (root, default bridge, no limits)
# Both carry the label com.example.stack=shop, which the pytest command selects them by.
# shop-web is published on 127.0.0.1:$SHOP_PORT (default 18080; the tests read the same
# variable), so pick another port when that one is taken. $SHOP_IMAGE names the image built
# from web/ (default example/shop-web:1.0).
set -euo pipefail
cd "$(dirname "$0")"
LABEL=com.example.stack=shop
PORT=${SHOP_PORT:-18080}
IMAGE=${SHOP_IMAGE:-example/shop-web:1.0}

if [ "${1:-up}" = down ]; then
  docker rm -f shop-web shop-cache >/dev/null 2>&1 || true
  docker network rm shop-net >/dev/null 2>&1 || true
  exit 0
fi

busybox=$(command -v busybox || echo /bin/busybox)
cp "$busybox" web/busybox
trap 'rm -f web/busybox' EXIT
docker build -q -t "$IMAGE" web >/dev/null
docker network inspect shop-net >/dev/null 2>&1 || docker network create --label "$LABEL" shop-net >/dev/null

docker rm -f shop-web shop-cache >/dev/null 2>&1 || true
docker run -d --name shop-web --label "$LABEL" --network shop-net \
  --read-only --user 1000 --cap-drop ALL --security-opt no-new-privileges \
  --memory 64m --cpus 0.5 --pids-limit 64 --restart on-failure:3 \
  --log-opt max-size=10m --log-opt max-file=3 \
  -p "127.0.0.1:$PORT:8080" "$IMAGE" >/dev/null || {
  docker rm -f shop-web >/dev/null 2>&1 || true
  echo "up.sh: shop-web did not start (is 127.0.0.1:$PORT taken? set SHOP_PORT)" >&2
  exit 1
}
docker run -d --name shop-cache --label "$LABEL" --user 0 "$IMAGE" sleep 86400 >/dev/null
echo "started shop-web (http://127.0.0.1:$PORT/) and shop-cache"
