{{ config(materialized='ephemeral') }}

select *, amount >= 10 as is_big from {{ ref('stg_sales') }}
