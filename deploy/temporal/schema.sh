#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas to the version this admin-tools image
# ships. Idempotent: an existing database is kept, `setup-schema -v 0.0` only stamps an empty one, and
# `update-schema` applies just the versions not applied yet. So this same job is the upgrade step: bump
# TEMPORAL_VERSION, `docker compose up -d`, and the schema moves before the new server starts.
# Runs in temporalio/admin-tools (POSIX sh: recent images have no bash).
set -eu

: "${SQL_HOST:?}" "${SQL_USER:?}" "${SQL_PASSWORD:?}"
SQL_PORT=${SQL_PORT:-5432}
# The admin-tools image keeps the schema files here; a native run (npm run bench:production) points elsewhere.
SCHEMA=${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

sql() {
  temporal-sql-tool --plugin postgres12 --endpoint "$SQL_HOST" --port "$SQL_PORT" --user "$SQL_USER" "$@"
}

for db in temporal temporal_visibility; do
  case $db in
    temporal) dir=$SCHEMA/temporal/versioned ;;
    *) dir=$SCHEMA/visibility/versioned ;;
  esac
  echo "schema: $db"
  sql --database "$db" create-database
  sql --database "$db" setup-schema -v 0.0
  sql --database "$db" update-schema -d "$dir"
done
echo "schema: up to date"
