#!/bin/sh
# Runs once, when the Postgres volume is first initialised (docker-entrypoint-initdb.d).
# One server, three databases: the warehouse, Airflow's metadata and Metabase's application data,
# each owned by its own login role. The warehouse roles are created here, by the superuser, because
# the migrations (run later as `infopositie`, not a superuser) only create roles that are missing.
# `infopositie` is the login the pipeline and dbt use: it switches to loader/transformer with SET
# ROLE, and administers `reporter` so the migrations can make reporter_regio a member of it.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v infopositie_pw="$INFOPOSITIE_DB_PASSWORD" \
  -v airflow_pw="$AIRFLOW_DB_PASSWORD" \
  -v metabase_pw="$METABASE_DB_PASSWORD" <<'SQL'
create role infopositie login password :'infopositie_pw';
create role airflow login password :'airflow_pw';
create role metabase login password :'metabase_pw';
create role loader login;
create role transformer login;
create role reader login;
create role reporter login;
create role reporter_regio login;
grant loader, transformer to infopositie;
grant reporter to infopositie with admin true, inherit false, set false;
create database infopositie owner infopositie;
create database airflow owner airflow;
create database metabase owner metabase;
SQL
