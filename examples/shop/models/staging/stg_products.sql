select
    product_id,
    product_name,
    category,
    price_cents,
    {{ cents_to_currency("price_cents") }} as price
from {{ ref('raw_products') }}
