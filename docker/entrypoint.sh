#!/bin/sh
# Container entrypoint: the server runs as APP_USER (uid 1000 `node` in the image), never as root.
#
# Started as root (the image's default): DATA_DIR and what is in it are made APP_USER's when they
# are not already (the old siliconflowProxy ran as root, so its data/ and api_keys.db are root's),
# then privileges are dropped with setpriv and the command is exec'd: node becomes PID 1 and gets
# SIGTERM itself, with no shell left in between.
# Started as another user (`user:` in compose): nothing can be fixed; if the folder is not
# writable, one line says which folder and how to fix it, and the command runs anyway.
set -eu

APP_USER="${APP_USER:-node}"
DATA_DIR="${DATA_DIR:-/app/data}"

if [ "$(id -u)" = 0 ]; then
  uid=$(id -u "$APP_USER")
  gid=$(id -g "$APP_USER")
  mkdir -p "$DATA_DIR"
  # Only entries not already APP_USER's are changed: a fixed folder costs one walk, no writes.
  if [ -n "$(find "$DATA_DIR" \( ! -user "$uid" -o ! -group "$gid" \) -print -quit)" ]; then
    echo "[entrypoint] giving $DATA_DIR to $APP_USER ($uid:$gid): it was owned by another user"
    find "$DATA_DIR" \( ! -user "$uid" -o ! -group "$gid" \) -exec chown -h "$uid:$gid" {} +
  fi
  exec setpriv --reuid="$APP_USER" --regid="$gid" --init-groups "$@"
fi

unwritable=""
if [ -e "$DATA_DIR" ] && [ ! -w "$DATA_DIR" ]; then
  unwritable="$DATA_DIR"
else
  for file in "$DATA_DIR"/api_keys.db "$DATA_DIR"/api_keys.db-wal "$DATA_DIR"/api_keys.db-shm \
    "$DATA_DIR"/api_keys.db-journal; do
    if [ -e "$file" ] && [ ! -w "$file" ]; then unwritable="$file" && break; fi
  done
fi
if [ -n "$unwritable" ]; then
  echo "[entrypoint] $unwritable is not writable by uid $(id -u); fix it on the host: sudo chown -R 1000:1000 ./data (the folder mounted at $DATA_DIR), or start the container as root so this script fixes it" >&2
fi
exec "$@"
