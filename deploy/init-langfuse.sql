-- Creates Langfuse's own database and user in the compose Postgres. The postgres image runs
-- this once, on the first start with an empty data directory (docker-entrypoint-initdb.d),
-- as the superuser. The password comes from the container's LANGFUSE_DB_PASSWORD, which
-- docker-compose.yml fills from .env: nothing secret is written here.
-- Changing the password later: docs/operations.md ("Key and password rotation").
\set ON_ERROR_STOP on
\getenv langfuse_password LANGFUSE_DB_PASSWORD
\if :{?langfuse_password}
\else
  \set langfuse_password ''
\endif
SELECT length(:'langfuse_password') > 0 AS langfuse_password_set \gset
\if :langfuse_password_set
\else
  \warn 'init-langfuse.sql: LANGFUSE_DB_PASSWORD is not set or empty'
  SELECT 1 / 0 AS langfuse_db_password_missing;
\endif

CREATE ROLE langfuse WITH LOGIN PASSWORD :'langfuse_password';
CREATE DATABASE langfuse OWNER langfuse ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE langfuse FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE langfuse TO langfuse;
-- Langfuse's migrations create their tables in the public schema of its own database.
\connect langfuse
ALTER SCHEMA public OWNER TO langfuse;
