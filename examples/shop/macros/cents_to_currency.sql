{#- Integer cents to a decimal amount; portable across DuckDB and PostgreSQL. -#}
{% macro cents_to_currency(column) -%}
    cast({{ column }} as numeric(18, 2)) / 100
{%- endmacro %}
