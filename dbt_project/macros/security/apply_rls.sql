{#-
  Row-level security per audience on a `reporting` relation (post-hook of every reporting model,
  dbt_project.yml). dbt replaces the table on every run, so the policies are (re)created in the
  same transaction that publishes the new table: no moment without them.

  Who sees what (docs/sources/domain.md, Wpg: each audience only what it needs):
  - every reporter role (policy on the group `reporter`): region and district aggregates, i.e.
    rows with niveau regio or district (without a niveau column: rows without gemeente and
    basisteam);
  - reporter_<basisteam>: in addition the rows of its own gemeenten (gemeentecode) and its own
    basisteam aggregates (basisteam_code without gemeentecode);
  - reporter_district_<district> (the district werkgroep): in addition the rows of every gemeente
    and basisteam of its district;
  - reporter_regio and reader (analysts, who read the marts anyway): everything.
  Relations without a gemeentecode or basisteam_code column carry no local detail and get no
  policies. The owner (transformer, which runs dbt and its tests) keeps seeing everything: it is
  not a reporter, and the macro stops the build if it ever became one.

  The role -> basisteam -> gemeente mapping is read from reference.audiences (the reference data
  valid today, warehouse/migrations/V006), role -> district -> basisteam/gemeente from
  reference.district_audiences (V007), when the table is built: a gemeente moving to another
  basisteam changes access at the next build, without code changes. A basisteam whose role does
  not exist yet (migrate not run since the reference data changed) gets no policy and a warning:
  its audience then sees no more than the aggregates.
-#}
{% macro apply_rls(relation) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- set has_gemeente = 'gemeentecode' in columns -%}
    {%- set has_basisteam = 'basisteam_code' in columns -%}
    {%- if not (has_gemeente or has_basisteam) -%}{{ return('') }}{%- endif -%}

    {%- if model.config.materialized not in ['table', 'incremental'] -%}
        {{ exceptions.raise_compiler_error(
            relation ~ " has local detail (gemeentecode/basisteam_code) but is materialized as '"
            ~ model.config.materialized ~ "': row-level security only protects tables") }}
    {%- endif -%}

    {%- set checks = run_query(
        "select pg_has_role(current_user, 'reporter', 'MEMBER') as owner_is_reporter,"
        ~ " (select string_agg(rolname, ', ') from pg_roles where rolbypassrls and not rolsuper"
        ~ "  and pg_has_role(oid, 'reporter', 'MEMBER')) as bypassing_reporters") -%}
    {%- if checks.columns[0].values()[0] -%}
        {{ exceptions.raise_compiler_error("role " ~ target.role ~ " owns the reporting tables and is a member"
                                           ~ " of reporter: row-level security would not apply to it") }}
    {%- endif -%}
    {%- if checks.columns[1].values()[0] -%}
        {{ exceptions.raise_compiler_error("reporter roles with BYPASSRLS: " ~ checks.columns[1].values()[0]) }}
    {%- endif -%}

    {%- set audiences = run_query(
        "select a.rolname, a.basisteam_code, string_agg(a.gemeentecode, ',' order by a.gemeentecode) as gemeenten,"
        ~ " exists (select 1 from pg_roles r where r.rolname = a.rolname) as role_exists"
        ~ " from reference.audiences a group by a.rolname, a.basisteam_code order by a.rolname, a.basisteam_code") -%}
    {%- set districts = run_query(
        "select a.rolname, string_agg(distinct a.gemeentecode, ',') as gemeenten,"
        ~ " string_agg(distinct a.basisteam_code, ',') as basisteams,"
        ~ " exists (select 1 from pg_roles r where r.rolname = a.rolname) as role_exists"
        ~ " from reference.district_audiences a group by a.rolname order by a.rolname") -%}
    {%- set existing = run_query(
        "select policyname from pg_policies where schemaname = '" ~ relation.schema
        ~ "' and tablename = '" ~ relation.identifier ~ "'") -%}

    {%- if 'niveau' in columns -%}
        {%- set aggregate = "niveau in ('regio', 'district')" -%}
    {%- else -%}
        {%- set parts = [] -%}
        {%- if has_gemeente -%}{%- do parts.append('gemeentecode is null') -%}{%- endif -%}
        {%- if has_basisteam -%}{%- do parts.append('basisteam_code is null') -%}{%- endif -%}
        {%- set aggregate = parts | join(' and ') -%}
    {%- endif %}
{%- for row in existing %}
drop policy if exists {{ adapter.quote(row['policyname']) }} on {{ relation }};
{%- endfor %}
alter table {{ relation }} enable row level security;
create policy regio_en_district on {{ relation }} for select to reporter using ({{ aggregate }});
create policy alles on {{ relation }} for select to reporter_regio, reader using (true);
{%- for audience in audiences %}
    {%- if audience['role_exists'] %}
        {%- set own = [] -%}
        {%- set basisteam = "'" ~ (audience['basisteam_code'] | replace("'", "''")) ~ "'" -%}
        {%- if has_gemeente -%}
            {%- do own.append("gemeentecode = any ('{" ~ audience['gemeenten'] ~ "}'::text[])") -%}
        {%- endif -%}
        {%- if has_basisteam and has_gemeente -%}
            {%- do own.append("(gemeentecode is null and basisteam_code = " ~ basisteam ~ ")") -%}
        {%- elif has_basisteam -%}
            {%- do own.append("basisteam_code = " ~ basisteam) -%}
        {%- endif %}
create policy {{ adapter.quote('basisteam_' ~ audience['rolname']) }} on {{ relation }} for select
    to {{ adapter.quote(audience['rolname']) }} using ({{ own | join(' or ') }});
    {%- else -%}
        {%- do log("apply_rls: role " ~ audience['rolname'] ~ " for basisteam " ~ audience['basisteam_code']
                   ~ " does not exist (run `infopositie warehouse migrate`); it sees only aggregates of "
                   ~ relation, info=true) -%}
    {%- endif -%}
{%- endfor %}
{%- for audience in districts %}
    {%- if audience['role_exists'] %}
        {%- set own = [] -%}
        {%- set teams = "'{" ~ audience['basisteams'] ~ "}'::text[]" -%}
        {%- if has_gemeente -%}
            {%- do own.append("gemeentecode = any ('{" ~ audience['gemeenten'] ~ "}'::text[])") -%}
        {%- endif -%}
        {%- if has_basisteam and has_gemeente -%}
            {%- do own.append("(gemeentecode is null and basisteam_code = any (" ~ teams ~ "))") -%}
        {%- elif has_basisteam -%}
            {%- do own.append("basisteam_code = any (" ~ teams ~ ")") -%}
        {%- endif %}
create policy {{ adapter.quote(audience['rolname']) }} on {{ relation }} for select
    to {{ adapter.quote(audience['rolname']) }} using ({{ own | join(' or ') }});
    {%- else -%}
        {%- do log("apply_rls: district role " ~ audience['rolname'] ~ " does not exist (run `infopositie"
                   ~ " warehouse migrate`); it sees only aggregates of " ~ relation, info=true) -%}
    {%- endif -%}
{%- endfor %}
{%- endmacro %}
