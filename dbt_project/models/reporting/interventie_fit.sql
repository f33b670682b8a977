-- Do the local interventions fit the local problem? Per gebied and year: the victim profile
-- (share of registrations with victims of 65+, under 25, ondernemers) next to the reach of the
-- activities for the matching doelgroep (senioren, jongeren, ondernemers), and a signal in words.
--
-- Disclosure control goes through macros/disclosure like lokaal_beeld_kwartaal, with one addition:
-- a year here is exactly the sum of its quarters in lokaal_beeld_kwartaal. Were a year shown while
-- exactly one of those quarters is hidden there, subtracting the shown ones would reveal it. So
-- the cells judged are the year cells (true counts) together with the quarter cells as
-- lokaal_beeld_kwartaal published them, in a second hierarchy quarter -> year:
--   - a quarter hidden there enters as a count of 1: hidden (primair), as it is;
--   - a quarter shown there enters as 0: it is public already, so hiding it here protects
--     nothing, and suppress_cells never picks a 0 to hide;
--   - a year whose quarters are all there and shown is their sum, public already: it enters as 0
--     too (it cannot be 1..4 then), so it is never picked to protect another cell;
--   - every other year enters with its true count.
-- A year with exactly one hidden quarter then has no shown non-zero quarter left to hide, so
-- suppress_cells hides the year itself; the gebied hierarchy (gemeente -> basisteam -> district
-- -> regio) is protected across the years as in lokaal_beeld_kwartaal. The published counts,
-- labels and shares come from the true counts through disclosed_count/label/rate, so no hidden
-- count reaches a share or the signal.
--
-- Activities and reach follow the one rule of activiteiten_kwartaal (the same for every reporting
-- relation): an activity count or a reach of 1-4 is '<5', a reach is hidden wherever its number of
-- activities is, and no hidden cell may be recovered - here from the year minus the quarters
-- activiteiten_kwartaal shows. So their year cells are judged exactly like the registrations',
-- linked to the (complete) quarters activiteiten_kwartaal published: activities first, then the
-- reach with every cell whose activities are hidden entering as hidden.
{#- Hash and merge joins only. The final joins put each year cell next to its groups' cells and
    activities, relations the planner has no statistics for: it expected one row where there are
    thousands and compared every cell with every other in nested loops (national scale, 5,080
    gebied-years: 31 s, 8 s without). `set local` ends with this model's transaction. -#}
{{ config(pre_hook="set local enable_nestloop = off") }}
{#- The signal. A group is a large part of the victims from this share of the registrations on;
    the reach among its doelgroep is low when its share of all people reached is below this
    factor times the group's share of the victims. Judged on the published (rounded) shares only,
    so that every reader can check a signal against the numbers next to it. -#}
{%- set drempel_veel_slachtoffer_pct = 10 -%}
{%- set factor_weinig_bereik = 0.5 -%}
{%- set paren = [
    {'doelgroep': 'senioren', 'groep': '65+', 'kolom': '65plus',
     'tekst': 'weinig bereik bij senioren terwijl 65+ veel slachtoffer is'},
    {'doelgroep': 'jongeren', 'groep': 'onder 25', 'kolom': 'onder_25',
     'tekst': 'weinig bereik bij jongeren terwijl onder-25-jarigen veel slachtoffer zijn'},
    {'doelgroep': 'ondernemers', 'groep': 'ondernemer', 'kolom': 'ondernemer',
     'tekst': 'weinig bereik bij ondernemers terwijl ondernemers veel slachtoffer zijn'},
] %}
{%- set oordelen -%}
    {% for paar in paren %}oordeel_{{ paar.doelgroep }}{{ ', ' if not loop.last }}{% endfor %}
{%- endset %}

with profiel as (
    select * from {{ ref('int_fit__slachtofferprofiel') }}
),

bereik as (
    select * from {{ ref('int_fit__bereik') }}
),

-- The quarter cells behind each year cell, as lokaal_beeld_kwartaal published them. 'onder 25'
-- is the sum of two cells there (0-17 and 18-24): hidden when either is.
kwartalen_gepubliceerd as (
    select
        lb.niveau || ':' || lb.gebied_code as gebied_key,
        lb.jaar,
        lb.kwartaal,
        g.groep,
        bool_or(lb.onderdrukt) as verborgen
    from {{ ref('lokaal_beeld_kwartaal') }} as lb
    cross join lateral (values (
        case
            when lb.uitsplitsing = 'totaal' then 'totaal'
            when lb.uitsplitsing = 'leeftijdsklasse' and lb.waarde = '65+' then '65+'
            when lb.uitsplitsing = 'leeftijdsklasse' and lb.waarde in ('0-17', '18-24') then 'onder 25'
            when lb.uitsplitsing = 'slachtoffer_type' and lb.waarde = 'ondernemer' then 'ondernemer'
        end
    )) as g (groep)
    where g.groep is not null
    group by 1, 2, 3, 4
),

verborgen_per_jaar as (
    select
        gebied_key,
        jaar,
        groep,
        count(*) as kwartalen,
        count(*) filter (where verborgen) as verborgen_kwartalen
    from kwartalen_gepubliceerd
    group by 1, 2, 3
),

cellen as (
    select
        p.gebied_key,
        p.gebied_ouder_key,
        'jaar' as tijd_key,
        null::text as tijd_ouder_key,
        p.jaar,
        p.groep,
        p.aantal as aantal_waar,
        -- Fail closed: public only when every quarter of the year is there and shown; a count of
        -- 1..4 is hidden whatever lokaal_beeld_kwartaal shows.
        case
            when p.aantal between 1 and {{ var('disclosure_min_count') - 1 }} then p.aantal
            when v.kwartalen = p.kwartalen and v.verborgen_kwartalen = 0 then 0
            else p.aantal
        end as aantal
    from profiel as p
    left join verborgen_per_jaar as v
        on v.gebied_key = p.gebied_key and v.jaar = p.jaar and v.groep = p.groep

    union all

    select
        q.gebied_key,
        p.gebied_ouder_key,
        'Q' || q.kwartaal,
        'jaar',
        q.jaar,
        q.groep,
        null,
        case when q.verborgen then 1 else 0 end
    from kwartalen_gepubliceerd as q
    join profiel as p on p.gebied_key = q.gebied_key and p.jaar = q.jaar and p.groep = q.groep
),

{{ suppress_cells(
    'cellen',
    hierarchies=[
        {'key': 'gebied_key', 'parent': 'gebied_ouder_key'},
        {'key': 'tijd_key', 'parent': 'tijd_ouder_key'},
    ],
    fixed=['jaar', 'groep'],
    name='beoordeeld'
) }},

jaarcellen as (
    select
        gebied_key,
        jaar,
        groep,
        {{ disclosed_count('aantal_waar', 'onderdrukking') }} as aantal,
        {{ disclosed_label('aantal_waar', 'onderdrukking') }} as weergave
    from beoordeeld
    where tijd_key = 'jaar'
),

-- The activities behind each year cell, as activiteiten_kwartaal published its quarters (only
-- complete quarters of the lokaal beeld, the quarters int_fit__bereik counts): the total and the
-- three doelgroepen the fit compares.
activiteitkwartalen as (
    select
        ak.niveau || ':' || ak.gebied_code as gebied_key,
        ak.jaar,
        ak.kwartaal,
        (case when ak.uitsplitsing = 'totaal' then 'totaal' else ak.waarde end) as groep,
        ak.onderdrukt as verborgen,
        ak.bereik_onderdrukt as bereik_verborgen
    from {{ ref('activiteiten_kwartaal') }} as ak
    where
        ak.uitsplitsing = 'totaal'
        or (ak.uitsplitsing = 'doelgroep' and ak.waarde in ('senioren', 'jongeren', 'ondernemers'))
),

activiteit_verborgen_per_jaar as (
    select
        gebied_key,
        jaar,
        groep,
        count(*) as kwartalen,
        count(*) filter (where verborgen) as verborgen_kwartalen,
        count(*) filter (where bereik_verborgen) as bereik_verborgen_kwartalen
    from activiteitkwartalen
    group by 1, 2, 3
),

activiteitjaren as (
    select
        b.gebied_key,
        p.gebied_ouder_key,
        b.jaar,
        p.kwartalen,
        v.groep,
        v.activiteiten,
        v.bereik
    from bereik as b
    join profiel as p on p.gebied_key = b.gebied_key and p.jaar = b.jaar and p.groep = 'totaal'
    cross join lateral (values
        ('totaal', b.activiteiten, b.bereik),
        {%- for paar in paren %}
        ('{{ paar.doelgroep }}', b.activiteiten_{{ paar.doelgroep }}, b.bereik_{{ paar.doelgroep }})
        {{- ',' if not loop.last }}
        {%- endfor %}
    ) as v (groep, activiteiten, bereik)
),

-- As for the registrations above: a year public already (all its quarters there and shown) enters
-- as 0, a shown quarter as 0, a hidden quarter as 1; fail closed otherwise.
activiteitcellen as (
    select
        a.gebied_key,
        a.gebied_ouder_key,
        'jaar' as tijd_key,
        null::text as tijd_ouder_key,
        a.jaar,
        a.groep,
        a.activiteiten as aantal_waar,
        a.bereik as bereik_waar,
        case
            when a.activiteiten between 1 and {{ var('disclosure_min_count') - 1 }} then a.activiteiten
            when v.kwartalen = a.kwartalen and v.verborgen_kwartalen = 0 then 0
            else a.activiteiten
        end as aantal,
        (v.kwartalen = a.kwartalen and v.bereik_verborgen_kwartalen = 0) as bereik_openbaar
    from activiteitjaren as a
    left join activiteit_verborgen_per_jaar as v
        on v.gebied_key = a.gebied_key and v.jaar = a.jaar and v.groep = a.groep

    union all

    select
        q.gebied_key,
        a.gebied_ouder_key,
        'Q' || q.kwartaal,
        'jaar',
        q.jaar,
        q.groep,
        null,
        null,
        case when q.verborgen then 1 else 0 end,
        not q.bereik_verborgen
    from activiteitkwartalen as q
    join activiteitjaren as a on a.gebied_key = q.gebied_key and a.jaar = q.jaar and a.groep = q.groep
),

{{ suppress_cells(
    'activiteitcellen',
    hierarchies=[
        {'key': 'gebied_key', 'parent': 'gebied_ouder_key'},
        {'key': 'tijd_key', 'parent': 'tijd_ouder_key'},
    ],
    fixed=['jaar', 'groep'],
    name='activiteiten_beoordeeld'
) }},

bereikcellen as (
    select
        gebied_key, gebied_ouder_key, tijd_key, tijd_ouder_key, jaar, groep, aantal_waar, bereik_waar,
        onderdrukking as activiteiten_onderdrukking,
        case
            when onderdrukking is not null then 1
            when tijd_key <> 'jaar' then (case when bereik_openbaar then 0 else 1 end)
            when bereik_waar between 1 and {{ var('disclosure_min_count') - 1 }} then bereik_waar
            when bereik_openbaar then 0
            else bereik_waar
        end as aantal
    from activiteiten_beoordeeld
),

{{ suppress_cells(
    'bereikcellen',
    hierarchies=[
        {'key': 'gebied_key', 'parent': 'gebied_ouder_key'},
        {'key': 'tijd_key', 'parent': 'tijd_ouder_key'},
    ],
    fixed=['jaar', 'groep'],
    name='bereik_beoordeeld'
) }},

activiteiten_gepubliceerd as (
    select
        gebied_key,
        jaar,
        groep,
        {{ disclosed_count('aantal_waar', 'activiteiten_onderdrukking') }} as activiteiten,
        {{ disclosed_count('bereik_waar', 'onderdrukking') }} as bereik
    from bereik_beoordeeld
    where tijd_key = 'jaar'
),

breed as (
    select
        p.niveau,
        p.gebied_code,
        p.gebied_naam,
        p.gemeentecode,
        p.basisteam_code,
        p.district,
        p.jaar,
        p.kwartalen,
        p.periode,
        t.aantal as aantal_registraties,
        t.weergave as aantal_registraties_weergave,
        {%- for paar in paren %}
        c_{{ paar.kolom }}.aantal as aantal_{{ paar.kolom }},
        c_{{ paar.kolom }}.weergave as aantal_{{ paar.kolom }}_weergave,
        {{ disclosed_rate('c_' ~ paar.kolom ~ '.aantal', 't.aantal', per=100, decimalen=1) }}
            as aandeel_{{ paar.kolom }}_pct,
        {%- endfor %}
        b.activiteiten,
        b.bereik,
        {%- for paar in paren %}
        b_{{ paar.doelgroep }}.activiteiten as activiteiten_{{ paar.doelgroep }},
        b_{{ paar.doelgroep }}.bereik as bereik_{{ paar.doelgroep }},
        -- From the published reach only: a hidden reach gives no share.
        {{ disclosed_rate('b_' ~ paar.doelgroep ~ '.bereik', 'b.bereik', per=100, decimalen=1) }}
            as aandeel_bereik_{{ paar.doelgroep }}_pct{{ ',' if not loop.last }}
        {%- endfor %}
    from profiel as p
    join jaarcellen as t on t.gebied_key = p.gebied_key and t.jaar = p.jaar and t.groep = 'totaal'
    {%- for paar in paren %}
    join jaarcellen as c_{{ paar.kolom }}
        on c_{{ paar.kolom }}.gebied_key = p.gebied_key
       and c_{{ paar.kolom }}.jaar = p.jaar
       and c_{{ paar.kolom }}.groep = '{{ paar.groep }}'
    {%- endfor %}
    left join activiteiten_gepubliceerd as b on b.gebied_key = p.gebied_key and b.jaar = p.jaar and b.groep = 'totaal'
    {%- for paar in paren %}
    left join activiteiten_gepubliceerd as b_{{ paar.doelgroep }}
        on b_{{ paar.doelgroep }}.gebied_key = p.gebied_key
       and b_{{ paar.doelgroep }}.jaar = p.jaar
       and b_{{ paar.doelgroep }}.groep = '{{ paar.doelgroep }}'
    {%- endfor %}
    where p.groep = 'totaal'
),

-- Per pair: 'mismatch', 'in balans', or 'onbekend' when a published share is missing. A group
-- below the threshold is in balance whatever the reach.
oordeel as (
    select
        breed.*,
        {%- for paar in paren %}
        case
            when aandeel_{{ paar.kolom }}_pct is null then 'onbekend'
            when aandeel_{{ paar.kolom }}_pct < {{ drempel_veel_slachtoffer_pct }} then 'in balans'
            when aandeel_bereik_{{ paar.doelgroep }}_pct is null then 'onbekend'
            when aandeel_bereik_{{ paar.doelgroep }}_pct < {{ factor_weinig_bereik }} * aandeel_{{ paar.kolom }}_pct
                then 'mismatch'
            else 'in balans'
        end as oordeel_{{ paar.doelgroep }}{{ ',' if not loop.last }}
        {%- endfor %}
    from breed
)

select
    {{ gebied_kolommen() }},
    jaar::integer as jaar,
    kwartalen::integer as kwartalen,
    periode::text as periode,
    aantal_registraties::integer as aantal_registraties,
    aantal_registraties_weergave::text as aantal_registraties_weergave,
    {%- for paar in paren %}
    aantal_{{ paar.kolom }}::integer as aantal_{{ paar.kolom }},
    aantal_{{ paar.kolom }}_weergave::text as aantal_{{ paar.kolom }}_weergave,
    {%- endfor %}
    {%- for paar in paren %}
    aandeel_{{ paar.kolom }}_pct::numeric(5, 1) as aandeel_{{ paar.kolom }}_pct,
    {%- endfor %}
    activiteiten::integer as activiteiten,
    {%- for paar in paren %}
    activiteiten_{{ paar.doelgroep }}::integer as activiteiten_{{ paar.doelgroep }},
    {%- endfor %}
    bereik::integer as bereik,
    {%- for paar in paren %}
    bereik_{{ paar.doelgroep }}::integer as bereik_{{ paar.doelgroep }},
    {%- endfor %}
    {%- for paar in paren %}
    aandeel_bereik_{{ paar.doelgroep }}_pct::numeric(5, 1) as aandeel_bereik_{{ paar.doelgroep }}_pct,
    {%- endfor %}
    (case
        when activiteiten = 0 then 'geen activiteiten geleverd'
        when 'mismatch' in ({{ oordelen }}) then
            concat_ws('; '
                {%- for paar in paren %},
                case when oordeel_{{ paar.doelgroep }} = 'mismatch' then '{{ paar.tekst }}' end
                {%- endfor %})
        when 'onbekend' not in ({{ oordelen }}) then
            'in balans'
        when 'in balans' not in ({{ oordelen }}) then
            'niet te beoordelen'
        else
            'in balans (niet te beoordelen: ' || concat_ws(', '
                {%- for paar in paren %},
                case when oordeel_{{ paar.doelgroep }} = 'onbekend' then '{{ paar.doelgroep }}' end
                {%- endfor %}) || ')'
    end)::text as signaal
from oordeel
