{{ config(materialized='incremental', unique_key='sold_on', incremental_strategy='delete+insert') }}

select sold_on, count(*) as sales, sum(amount) as total
from {{ ref('stg_sales') }}
{% if var('min_date', none) %}
where sold_on >= '{{ var("min_date") }}' and sold_on < '{{ var("max_date") }}'
{% endif %}
group by sold_on
