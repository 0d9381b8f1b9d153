{#- Models land in exactly the schema their folder names (staging, intermediate, marts),
    not dbt's default <target>_<custom>, so the publish step can copy schema `marts`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
