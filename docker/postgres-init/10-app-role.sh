#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory: creates the
# role the application connects as and its database. The role is NOT a superuser and has
# no BYPASSRLS, so PostgreSQL's row-level security (the second tenant wall) binds it; it
# owns the database, so it can migrate. The superuser (postgres) is for operators only.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v app_password="$SPM_DB_PASSWORD" <<'SQL'
CREATE ROLE spm LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE spm OWNER spm;
SQL
