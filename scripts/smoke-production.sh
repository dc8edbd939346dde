#!/usr/bin/env bash
# The production path of docker/Dockerfile, outside Docker: prune to production dependencies, boot
# the built server on a throwaway data folder, and check /healthz, /readyz and the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM="npx -y pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")"

$PNPM install --prod --frozen-lockfile

data=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
NODE_ENV=production DATA_DIR="$data" PORT="$port" HOST=127.0.0.1 node apps/server/dist/server.js \
  >"$data/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT

for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/healthz"; echo
curl -fsS "http://127.0.0.1:$port/readyz"; echo
curl -fsS -H 'accept: text/html' "http://127.0.0.1:$port/" | grep -q '<div id="root">'
kill -TERM "$pid"
wait "$pid"
echo "production smoke test passed"
