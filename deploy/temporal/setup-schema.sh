#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases (run by the `temporal-schema` service with
# the temporalio/admin-tools image). Safe to run on every `docker compose up`: existing databases are
# kept and only missing schema versions are applied.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the database host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${POSTGRES_PWD:?POSTGRES_PWD is required}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" "$@"
}

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  db="${pair%%:*}"
  kind="${pair##*:}"
  echo "temporal-schema: database $db ($kind)"
  # `create` fails when the database exists, which is the normal case after the first start.
  sql_tool --db "$db" create 2>/dev/null || echo "temporal-schema: $db already exists"
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$SCHEMA_DIR/$kind/versioned"
done
echo "temporal-schema: done"
