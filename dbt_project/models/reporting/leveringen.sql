-- Deliveries per feed, partner folder and period against the cadence of the feed's contract: for
-- the werkgroep and the engineers (dashboard "Leveringen en datakwaliteit"). Platform metadata
-- from the audit trail only: no partner data, no file names, no free text (quarantine reasons are
-- reduced to a fixed category, since a reason may quote a value from the file).
--
-- Cadence and freshness come from the feed contracts through the generated dbt sources (their
-- meta.feed / meta.cadence and freshness), so a new feed needs no change here.
-- Periodic feeds (monthly or quarterly, period month, quarter or reference date) get one row per
-- expected period from the partner's first one up to today, also when nothing came ('ontbreekt');
-- feeds delivered at will or yearly get one row per month in which something arrived.
--   uiterlijk_op  the start of the period plus the feed's freshness warning days: after that day
--                 the feed's data is too old (the source freshness would warn)
--   status        op tijd / te laat (first loaded delivery after uiterlijk_op) / ontbreekt (nothing
--                 loaded and uiterlijk_op passed) / in quarantaine (only refused files) /
--                 nog niet nodig (nothing loaded yet, uiterlijk_op still ahead) / geleverd (no cadence)
{%- set feeds = [] %}
{%- if execute %}
    {%- for source in graph.sources.values() %}
        {%- set meta = source.get('meta') or {} %}
        {%- set freshness = source.get('freshness') or (source.get('config') or {}).get('freshness') or {} %}
        {%- set key = (meta.get('feed'), meta.get('cadence')) %}
        {%- if key[0] and key[1] and key not in feeds | map(attribute='key') | list %}
            {%- do feeds.append({'key': (meta.get('feed'), meta.get('cadence')), 'feed': meta.get('feed'),
                                 'cadence': meta.get('cadence'),
                                 'warn': ((freshness.get('warn_after') or {}).get('count')) or 'null',
                                 'error': ((freshness.get('error_after') or {}).get('count')) or 'null'}) %}
        {%- endif %}
    {%- endfor %}
{%- endif %}

with contracten as (
    {%- for f in feeds | sort(attribute='feed') %}
    select '{{ f.feed }}'::text as feed, '{{ f.cadence }}'::text as cadans,
           {{ f.warn }}::integer as waarschuwing_na_dagen, {{ f.error }}::integer as fout_na_dagen
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- if not feeds %}
    select null::text as feed, null::text as cadans, null::integer as waarschuwing_na_dagen,
           null::integer as fout_na_dagen
    where false
    {%- endif %}
),

vandaag as (
    select {% if var('today', none) %}'{{ var('today') }}'::date{% else %}current_date{% endif %} as datum
),

deliveries as (
    select
        d.feed,
        d.partner,
        c.cadans,
        c.waarschuwing_na_dagen,
        c.fout_na_dagen,
        d.status,
        d.ontvangen_op::date as ontvangen_op,
        d.regels_ontvangen as rows_received,
        d.regels_geladen as rows_loaded,
        d.regels_afgekeurd as rows_rejected,
        d.redenen ->> 0 as eerste_reden,
        -- The period the delivery covers, as the contract's cadence counts it.
        case
            when c.cadans = 'monthly' and d.periode ~ '^\d{4}-\d{2}$' then d.periode
            when c.cadans = 'monthly' and d.periode ~ '^\d{4}-\d{2}-\d{2}$' then to_char(d.periode::date, 'YYYY-MM')
            when c.cadans = 'quarterly' and d.periode ~ '^\d{4}-Q[1-4]$' then d.periode
            else to_char(d.ontvangen_op, 'YYYY-MM')
        end as periode,
        c.cadans in ('monthly', 'quarterly')
            and (d.periode ~ '^\d{4}-\d{2}(-\d{2})?$' or d.periode ~ '^\d{4}-Q[1-4]$') as volgens_cadans
    from {{ ref('int_leveringen__afgerond') }} as d
    join contracten as c on c.feed = d.feed
),

periode_begin as (
    select
        *,
        case
            when periode ~ '^\d{4}-Q[1-4]$'
                then make_date(left(periode, 4)::integer, 3 * right(periode, 1)::integer - 2, 1)
            else to_date(periode || '-01', 'YYYY-MM-DD')
        end as begin_periode
    from deliveries
),

-- Every period a partner of a periodic feed is expected to deliver: from its first period on.
verwacht as (
    select
        p.feed, p.partner, p.cadans, p.waarschuwing_na_dagen, p.fout_na_dagen,
        gs::date as begin_periode
    from (
        select feed, partner, cadans, waarschuwing_na_dagen, fout_na_dagen, min(begin_periode) as eerste
        from periode_begin
        where volgens_cadans
        group by 1, 2, 3, 4, 5
    ) as p
    cross join vandaag as v
    cross join lateral generate_series(
        p.eerste, v.datum,
        case p.cadans when 'quarterly' then interval '3 months' else interval '1 month' end) as gs
),

per_periode as (
    select
        feed, partner, cadans, waarschuwing_na_dagen, fout_na_dagen, begin_periode,
        count(*)::integer as leveringen,
        count(*) filter (where status = 'loaded')::integer as geladen,
        count(*) filter (where status = 'quarantined')::integer as in_quarantaine,
        count(*) filter (where status = 'duplicate')::integer as dubbel,
        sum(rows_received) filter (where status in ('loaded', 'quarantined'))::bigint as regels_ontvangen,
        sum(rows_loaded) filter (where status = 'loaded')::bigint as regels_geladen,
        sum(rows_rejected) filter (where status in ('loaded', 'quarantined'))::bigint as regels_afgekeurd,
        min(ontvangen_op) as eerste_ontvangen_op,
        min(ontvangen_op) filter (where status = 'loaded') as eerste_geladen_op,
        max(ontvangen_op) as laatst_ontvangen_op,
        (array_agg(eerste_reden order by ontvangen_op desc) filter (where status = 'quarantined'))[1]
            as laatste_reden
    from periode_begin
    group by 1, 2, 3, 4, 5, 6
),

alle as (
    select
        coalesce(p.feed, v.feed) as feed,
        coalesce(p.partner, v.partner) as partner,
        coalesce(p.cadans, v.cadans) as cadans,
        coalesce(p.waarschuwing_na_dagen, v.waarschuwing_na_dagen) as waarschuwing_na_dagen,
        coalesce(p.fout_na_dagen, v.fout_na_dagen) as fout_na_dagen,
        coalesce(p.begin_periode, v.begin_periode) as begin_periode,
        v.feed is not null as verwacht,
        p.leveringen, p.geladen, p.in_quarantaine, p.dubbel, p.regels_ontvangen, p.regels_geladen,
        p.regels_afgekeurd, p.eerste_ontvangen_op, p.eerste_geladen_op, p.laatst_ontvangen_op, p.laatste_reden
    from per_periode as p
    full join verwacht as v
        on v.feed = p.feed and v.partner = p.partner and v.begin_periode = p.begin_periode
)

select
    a.feed::text as feed,
    a.partner::text as partner,
    case a.cadans when 'monthly' then 'maandelijks' when 'quarterly' then 'per kwartaal'
                  when 'yearly' then 'jaarlijks' else 'wanneer nodig' end::text as cadans,
    case when a.cadans = 'quarterly' and a.verwacht
         then extract(year from a.begin_periode)::integer || '-Q' || extract(quarter from a.begin_periode)::integer
         else to_char(a.begin_periode, 'YYYY-MM') end::text as periode,
    a.begin_periode::date as begin_periode,
    case when a.verwacht then a.begin_periode + a.waarschuwing_na_dagen end::date as uiterlijk_op,
    coalesce(a.leveringen, 0)::integer as leveringen,
    coalesce(a.geladen, 0)::integer as geladen,
    coalesce(a.in_quarantaine, 0)::integer as in_quarantaine,
    coalesce(a.dubbel, 0)::integer as dubbel,
    a.regels_ontvangen::bigint as regels_ontvangen,
    a.regels_geladen::bigint as regels_geladen,
    a.regels_afgekeurd::bigint as regels_afgekeurd,
    a.eerste_ontvangen_op::date as eerste_ontvangen_op,
    a.laatst_ontvangen_op::date as laatst_ontvangen_op,
    case when a.verwacht and a.eerste_geladen_op > a.begin_periode + a.waarschuwing_na_dagen
         then a.eerste_geladen_op - (a.begin_periode + a.waarschuwing_na_dagen) end::integer as dagen_te_laat,
    case
        when not a.verwacht and coalesce(a.geladen, 0) > 0 then 'geleverd'
        when coalesce(a.geladen, 0) = 0 and coalesce(a.in_quarantaine, 0) > 0 then 'in quarantaine'
        when coalesce(a.geladen, 0) = 0 and a.verwacht and v.datum > a.begin_periode + a.waarschuwing_na_dagen
            then 'ontbreekt'
        when coalesce(a.geladen, 0) = 0 and a.verwacht then 'nog niet nodig'
        when coalesce(a.geladen, 0) = 0 then 'alleen dubbel'
        when a.eerste_geladen_op > a.begin_periode + a.waarschuwing_na_dagen then 'te laat'
        else 'op tijd'
    end::text as status,
    -- A fixed category, never the reason's text (which may quote a value from the file).
    case
        when a.laatste_reden is null then null
        when a.laatste_reden ilike '%regels%afgekeurd%' then 'te veel afgekeurde regels'
        when a.laatste_reden ilike '%bestandsnaam%' then 'bestandsnaam volgt de afspraak niet'
        when a.laatste_reden ilike '%map%' or a.laatste_reden ilike '%partner%' then 'verkeerde map of partner'
        when a.laatste_reden ilike '%leeg%' or a.laatste_reden ilike '%alleen een kopregel%' then 'leeg bestand'
        when a.laatste_reden ilike '%kolom%' or a.laatste_reden ilike '%kopregel%'
            or a.laatste_reden ilike '%scheidingsteken%' then 'kopregel of kolommen wijken af'
        when a.laatste_reden ilike '%UTF-8%' or a.laatste_reden ilike '%tekens%' then 'tekenset niet leesbaar'
        when a.laatste_reden ilike '%JSON%' or a.laatste_reden ilike '%Excel%' or a.laatste_reden ilike '%tabblad%'
            or a.laatste_reden ilike '%tekstbestand%' then 'verkeerd bestandsformaat'
        when a.laatste_reden ilike '%periode%' or a.laatste_reden ilike '%maand%' then 'periode klopt niet'
        else 'overig'
    end::text as reden_quarantaine,
    a.waarschuwing_na_dagen::integer as versheid_waarschuwing_na_dagen,
    a.fout_na_dagen::integer as versheid_fout_na_dagen
from alle as a
cross join vandaag as v
