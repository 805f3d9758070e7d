select * from {{ ref('daily_sales') }} where total <= 0 {% if var('fail_singular', false) %} or true {% endif %}
