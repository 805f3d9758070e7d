with customer_orders as (
    select
        customer_id,
        count(*) as order_count,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        sum(amount_cents) as lifetime_value_cents
    from {{ ref('orders') }}
    where status <> 'returned'
    group by customer_id
)

select
    c.customer_id,
    c.first_name,
    c.last_name,
    c.email,
    c.country,
    coalesce(co.order_count, 0) as order_count,
    co.first_order_date,
    co.last_order_date,
    {{ cents_to_currency("coalesce(co.lifetime_value_cents, 0)") }} as lifetime_value
from {{ ref('stg_customers') }} as c
left join customer_orders as co on c.customer_id = co.customer_id
