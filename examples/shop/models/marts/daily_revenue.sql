select
    order_date,
    count(*) as order_count,
    sum(quantity) as items_sold,
    {{ cents_to_currency("sum(amount_cents)") }} as revenue
from {{ ref('orders') }}
where status <> 'returned'
group by order_date
