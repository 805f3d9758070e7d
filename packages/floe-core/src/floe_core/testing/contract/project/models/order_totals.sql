{% if var('fail_model') %}
select * from contract_relation_that_does_not_exist
{% else %}
select customer_id, sum(amount) as total from {{ ref('stg_orders') }} group by customer_id
{% endif %}
