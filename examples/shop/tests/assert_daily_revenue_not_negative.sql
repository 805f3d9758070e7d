{#- Returns the days with negative revenue: none, unless `--vars '{fail_test: true}'`, which
    makes this test return every day and so fail (floe's tests use it). -#}
{{ config(meta={"owner": "finance-team"}) }}

select order_date, revenue
from {{ ref('daily_revenue') }}
{% if var('fail_test', false) %}
where revenue is not null
{% else %}
where revenue < 0
{% endif %}
