{{
    config(
        materialized='incremental',
        unique_key='payment_id',
        incremental_strategy='delete+insert',
    )
}}

select
    payment_id,
    order_id,
    payment_method,
    amount,
    paid_at
from {{ ref('stg_payments') }}
{% if is_incremental() %}
-- only payments newer than what the table already holds
where paid_at > (select max(paid_at) from {{ this }})
{% endif %}
