-- With var fail_model the join targets a missing relation: the model errors at run time
-- (same DAG either way), and order_report, downstream, must be skipped.
select o.customer_id, sum(o.amount) as total
from {{ ref('stg_orders') }} as o
{% if var('fail_model') %}
join contract_relation_that_does_not_exist as missing on missing.customer_id = o.customer_id
{% endif %}
group by o.customer_id
