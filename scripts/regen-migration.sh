#!/usr/bin/env bash
# Regenerate the newest, not-yet-released migration (0002) from the models, against a scratch
# PostgreSQL database at revision 0001. Used while the protection tables are being designed; once
# 0002 is released it is never regenerated again (a new revision is added instead).
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/sp-migration.lock
flock 9
db="sp_regen_$$"
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
trap 'psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
export SAFEPASSAGE_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$db"
backup=$(mktemp -d)
cp migrations/versions/0002_*.py "$backup/" 2>/dev/null || true
rm -f migrations/versions/0002_*.py
# later hand-written revisions (0003+) step aside while 0002 is regenerated
aside=$(mktemp -d)
shopt -s nullglob
for f in migrations/versions/000[3-9]_*.py; do mv "$f" "$aside/"; done
trap 'ls migrations/versions/0002_*.py >/dev/null 2>&1 || cp "$backup"/*.py migrations/versions/ 2>/dev/null; mv "$aside"/*.py migrations/versions/ 2>/dev/null || true; psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
.venv/bin/alembic upgrade 0001 >/dev/null
# tables that later revisions create (0005 movements, ...) stay out of 0002
export SAFEPASSAGE_AUTOGEN_EXCLUDE="movement_,linking_,placement_"
.venv/bin/alembic revision --autogenerate --rev-id 0002 -m "protection: scope, keys, audit, sessions" >/dev/null
file=$(ls migrations/versions/0002_*.py)
sed -i 's/postgresql.JSONB()/postgresql.JSONB(astext_type=sa.Text())/g' "$file"
.venv/bin/ruff format -q "$file"
.venv/bin/ruff check -q --fix "$file" || true
echo "$file"
