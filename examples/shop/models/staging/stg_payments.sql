select
    payment_id,
    order_id,
    payment_method,
    amount_cents,
    {{ cents_to_currency("amount_cents") }} as amount,
    paid_at
from {{ ref('raw_payments') }}
