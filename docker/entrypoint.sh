#!/bin/sh
# Container entrypoint: "migrate" applies the database migrations (the compose file runs it
# once, before web, worker and beat start); anything else runs as given.
set -eu

if [ "${1:-}" = "migrate" ]; then
  exec python manage.py migrate --noinput
fi

exec "$@"
