{# `run-operation greet --args '{name: floe}'`: the contract suite's macro. #}
{% macro greet(name='world') %}
  {{ log('hello ' ~ name, info=True) }}
{% endmacro %}
