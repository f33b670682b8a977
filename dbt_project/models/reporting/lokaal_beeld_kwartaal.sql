-- The local information picture per gebied and quarter, disclosure-controlled: the relation the
-- Metabase dashboard and the per-gemeente document read. Every count, label, rate and change
-- comes out of macros/disclosure, so nothing here can show a suppressed count. Built per quarter
-- (macros/platform/kwartalen.sql): the disclosure control works within one quarter, and a
-- quarter's row reads the same quarter a year earlier as that quarter itself was published.
{{ kwartaal_incrementeel() }}
-- depends_on: {{ ref('int_politie__kwartaal_stand') }}
with cellen as (
    select * from {{ ref('int_politie__tellingen_kwartaal') }}
    {%- if is_incremental() %}
    where (jaar, kwartaal) in {{ te_bouwen_kwartalen(met_jaar_ervoor=true) }}
    {%- endif %}
),

{{ suppress_kwartaalcellen('cellen') }},

gepubliceerd as (
    select
        beoordeeld.*,
        {{ disclosed_count('aantal', 'onderdrukking') }} as aantal_gepubliceerd
    from beoordeeld
)

select
    {{ kwartaalcel_kolommen('h.') }},
    h.aantal_gepubliceerd::integer as aantal,
    {{ disclosed_label('h.aantal', 'h.onderdrukking') }}::text as aantal_weergave,
    (h.onderdrukking is not null)::boolean as onderdrukt,
    h.inwoners::integer as inwoners,
    {{ disclosed_rate('h.aantal_gepubliceerd', 'h.inwoners', per=10000, decimalen=2) }}::numeric(10, 2)
        as per_10000_inwoners,
    -- Last year's cell as it was published itself, so a hidden count stays hidden here too.
    v.aantal_gepubliceerd::integer as aantal_vorig_jaar,
    {{ verandering_pct('h.aantal_gepubliceerd', 'v.aantal_gepubliceerd') }}::numeric(8, 1) as verandering_pct
from gepubliceerd as h
left join gepubliceerd as v
    on v.gebied_key = h.gebied_key
   and v.waarde_key = h.waarde_key
   and v.jaar = h.jaar - 1
   and v.kwartaal = h.kwartaal
{%- if is_incremental() %}
where (h.jaar, h.kwartaal) in {{ te_bouwen_kwartalen() }}
{%- endif %}
