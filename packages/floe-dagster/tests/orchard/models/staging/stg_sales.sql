select cast(sale_id as integer) as sale_id, cast(sold_on as date) as sold_on, amount
from {{ source('landing', 'sales') }}
