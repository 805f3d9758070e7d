select
    product_id,
    product_name,
    category,
    price,
    case when price_cents >= 1000 then 'premium' else 'standard' end as price_tier
from {{ ref('stg_products') }}
