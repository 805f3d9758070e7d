{#- `--vars '{fail_model: true}'` makes this model fail with a database error (floe's tests
    use it: `customers` and `daily_revenue` are downstream, `products` and
    `fct_payments_incremental` are independent branches). -#}
with payments as (
    select
        order_id,
        sum(amount_cents) as amount_cents,
        count(*) as payment_count
    from {{ ref('stg_payments') }}
    group by order_id
)

select
    o.order_id,
    o.customer_id,
    o.product_id,
    o.quantity,
    o.order_date,
    o.status,
    coalesce(p.amount_cents, 0) as amount_cents,
    {{ cents_to_currency("coalesce(p.amount_cents, 0)") }} as amount,
    coalesce(p.payment_count, 0) as payment_count
from {{ ref('stg_orders') }} as o
left join payments as p on o.order_id = p.order_id
{% if var('fail_model', false) %}
cross join floe_fail_model_missing_table
{% endif %}
