select count(*) as sales, sum(amount) as total from {{ ref('stg_sales') }}
