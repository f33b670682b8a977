{#-
  Quarterly models of the police feed, built per quarter.

  Such a model's rows for one complete quarter follow from the registrations of that quarter and
  of the same quarter a year earlier (year-on-year columns, and the published count a year
  earlier), whether those quarters are complete, and what every quarter shares (gebieden and
  breakdown values). int_politie__kwartaal_stand fingerprints exactly that per quarter. A model
  built with `kwartaal_incrementeel()` records the fingerprints it was built from
  (audit.kwartaal_invoer, warehouse/migrations/V014) and, in an incremental build, deletes and
  recomputes only the quarters whose fingerprint changed: a new month that completes no quarter
  and corrects nothing in a complete one recomputes nothing, a correction of last quarter
  recomputes that quarter and the same quarter a year later.

  Every quarter is recomputed when the build does not say which code it runs (the session
  setting infopositie.code_version, set by `infopositie build` and the Airflow DAG's producer;
  plain dbt does not) or runs other code than the model was built with: new code may compute
  every quarter differently.
  Same rows as a full refresh: tests/dbt/test_selective_build.py.
-#}

{#- The config of such a model (call it in `config()`'s place). `per='jaar'`: a model with one row
    set per year of complete quarters recomputes every year with a changed quarter. -#}
{% macro kwartaal_incrementeel(per='kwartaal') -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ vergeet_gewijzigde_kwartalen('" ~ per ~ "') }}",
        post_hook="{{ onthoud_kwartalen() }}",
    ) }}
{%- endmacro %}


{#- The quarters to compute, as a subquery of (jaar, kwartaal): in an incremental build those whose
    input changed since the model was built (and, with `met_jaar_ervoor`, the quarters a year
    before them, for a model that compares with last year: their rows are read, not written);
    otherwise nothing restricts. Use as `where (jaar, kwartaal) in {{ te_bouwen_kwartalen() }}`
    inside `{% if is_incremental() %}`. -#}
{% macro te_bouwen_kwartalen(met_jaar_ervoor=false) -%}
    (
        select g.jaar, g.kwartaal from {{ _gewijzigde_kwartalen() }} as g
        {%- if met_jaar_ervoor %}
        union
        select g.jaar - 1, g.kwartaal from {{ _gewijzigde_kwartalen() }} as g
        {%- endif %}
    )
{%- endmacro %}


{% macro _gewijzigde_kwartalen() -%}
    (
        select coalesce(s.jaar, b.jaar) as jaar, coalesce(s.kwartaal, b.kwartaal) as kwartaal
        from {{ ref('int_politie__kwartaal_stand') }} as s
        full join (
            select jaar, kwartaal, stand, code_version from audit.kwartaal_invoer where model = '{{ this.identifier }}'
        ) as b on b.jaar = s.jaar and b.kwartaal = s.kwartaal
        where s.stand is distinct from b.stand
           or b.code_version is distinct from current_setting('infopositie.code_version', true)
           or current_setting('infopositie.code_version', true) is null
    )
{%- endmacro %}


{#- Pre-hook: an incremental build first removes the quarters it recomputes (also those that are
    no longer complete, which yield no rows). -#}
{% macro vergeet_gewijzigde_kwartalen(per='kwartaal') -%}
    {%- if is_incremental() and per == 'jaar' -%}
    delete from {{ this }} where jaar in (select k.jaar from {{ te_bouwen_kwartalen() }} as k)
    {%- elif is_incremental() -%}
    delete from {{ this }} where (jaar, kwartaal) in {{ te_bouwen_kwartalen() }}
    {%- endif -%}
{%- endmacro %}


{#- Post-hook, in the model's transaction: what the model is now built from. `gewijzigd_op` moves
    only for the quarters whose input changed. -#}
{% macro onthoud_kwartalen() -%}
    insert into audit.kwartaal_invoer as b (model, jaar, kwartaal, stand, code_version)
    select '{{ this.identifier }}', jaar, kwartaal, stand, current_setting('infopositie.code_version', true)
    from {{ ref('int_politie__kwartaal_stand') }}
    on conflict (model, jaar, kwartaal) do update
        set stand = excluded.stand, code_version = excluded.code_version, gewijzigd_op = now()
        where (b.stand, b.code_version) is distinct from (excluded.stand, excluded.code_version);
    delete from audit.kwartaal_invoer as b
    where b.model = '{{ this.identifier }}'
      and not exists (
          select from {{ ref('int_politie__kwartaal_stand') }} as s where s.jaar = b.jaar and s.kwartaal = b.kwartaal
      )
{%- endmacro %}
