-- Fails when the var fail_test is set; otherwise every customer has an order.
select * from {{ ref('customer_orders') }}
where order_count = 0 {% if var('fail_test') %} or true {% endif %}
