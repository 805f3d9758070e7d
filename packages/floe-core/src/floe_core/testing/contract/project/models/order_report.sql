{% if var('fail_compile') %}
{{ exceptions.raise_compiler_error("fail_compile is set: the contract project does not compile") }}
{% endif %}
select count(*) as customers, sum(total) as total from {{ ref('order_totals') }}
