{#- Which delivery counts: the audit trail marks, per feed and period, the delivery that is
    current (a corrected file supersedes the earlier one; raw keeps both). Every staging model
    reads its feed's rows through these, so that "current" means the same for every feed. -#}


{#- The current deliveries of `feed` (every column of the audit source). -#}
{% macro actuele_leveringen(feed) -%}
    select *
    from {{ source('audit', 'deliveries') }}
    where feed = '{{ feed }}'
      and is_current
{%- endmacro %}


{#- For feeds without delivery periods (CBS, activities), where any later file may deliver a
    row again: the rows of `relation` from current deliveries of `feed`, each numbered within its
    key `sleutel` (a list of expressions over alias r, or l for the delivery) from the newest
    delivery and line down (versie 1 wins), with how many deliveries carried that key
    (aantal_leveringen) and the delivering partner folder (leverancier). -#}
{% macro versies_per_sleutel(relation, feed, sleutel) -%}
    select
        r.*,
        l.partner as leverancier,
        row_number() over nieuwste_eerst as versie,
        count(*) over nieuwste_eerst as aantal_leveringen
    from {{ relation }} as r
    join ({{ actuele_leveringen(feed) }}) as l on l.delivery_id = r.delivery_id
    window nieuwste_eerst as (
        partition by {{ sleutel | join(', ') }}
        order by r.delivery_id desc, r.line_number desc
        rows between unbounded preceding and unbounded following
    )
{%- endmacro %}
