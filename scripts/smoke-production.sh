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

# docker/entrypoint.sh as the image runs it: started as root on a data folder root owns (as the
# old siliconflowProxy's container left it), it must give the folder to the app user and boot the
# server as that user, with node receiving SIGTERM itself. The image's user is `node`; outside the
# image any existing non-root user stands in (APP_USER).
if [ "$(id -u)" -ne 0 ]; then
  echo "entrypoint smoke test skipped: it needs root (running as uid $(id -u))"
  exit 0
fi
app_user=""
for candidate in "${SMOKE_APP_USER:-}" node nobody; do
  if [ -n "$candidate" ] && id -u "$candidate" >/dev/null 2>&1; then app_user=$candidate && break; fi
done
if [ -z "$app_user" ]; then
  echo "entrypoint smoke test failed: no non-root user (node, nobody) to run as" >&2
  exit 1
fi
old_data=$(mktemp -d)
chmod 755 "$old_data"
# The old program's files: an empty api_keys.db (SQLite takes it as an empty database), root's.
touch "$old_data/api_keys.db"
chown -R root:root "$old_data"
# What the image's runtime stage copies (docker/Dockerfile), in a folder any user can enter: this
# checkout may sit in one only root can (a `mktemp -d` clone is 700), which the app user could not
# get through.
image=$(mktemp -d)
chmod 755 "$image"
mkdir -p "$image/apps" "$image/docker"
cp -a package.json pnpm-workspace.yaml node_modules packages "$image/"
cp -a apps/server "$image/apps/"
cp -a docker/entrypoint.sh "$image/docker/"
port=$((20000 + RANDOM % 20000))
(cd "$image" && NODE_ENV=production APP_USER="$app_user" DATA_DIR="$old_data" PORT="$port" \
  HOST=127.0.0.1 exec docker/entrypoint.sh node apps/server/dist/server.js) \
  >"$data.entrypoint.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data" "$old_data" "$image" "$data.entrypoint.log"' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/healthz"; echo
expected_uid=$(id -u "$app_user")
# The process started as the entrypoint is node now (exec all the way): its uid is the app user's.
process_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
process_name=$(cat "/proc/$pid/comm")
for path in "$old_data" "$old_data/api_keys.db"; do
  owner=$(stat -c %u "$path")
  if [ "$owner" != "$expected_uid" ]; then
    echo "entrypoint smoke test failed: $path is owned by uid $owner, not $app_user" >&2
    cat "$data.entrypoint.log" >&2
    exit 1
  fi
done
if [ "$process_uid" != "$expected_uid" ] || [ "$process_name" != "node" ]; then
  echo "entrypoint smoke test failed: pid $pid is $process_name as uid $process_uid" >&2
  cat "$data.entrypoint.log" >&2
  exit 1
fi
kill -TERM "$pid"
wait "$pid"
grep -q "giving $old_data to $app_user" "$data.entrypoint.log"
echo "entrypoint smoke test passed (server ran as $app_user, uid $process_uid)"
