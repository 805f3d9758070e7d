-- Always returns a row, at warn severity: the runtime must report status `warn`.
{{ config(severity='warn') }}
select * from {{ ref('customer_orders') }} where total_amount < 10
