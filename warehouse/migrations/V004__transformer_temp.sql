-- dbt unit tests on Postgres materialise their result in a TEMPORARY table.
do $$ begin execute format('grant temporary on database %I to transformer', current_database()); end $$;
