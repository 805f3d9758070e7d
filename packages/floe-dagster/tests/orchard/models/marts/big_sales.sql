select sale_id, sold_on, amount{% if var('break_big', false) %}, no_such_column{% endif %}
from {{ ref('sales_enriched') }}
where is_big
