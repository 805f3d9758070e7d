select sold_on, count(*) as sales from {{ ref('big_sales') }} group by sold_on order by 2 desc limit 1
