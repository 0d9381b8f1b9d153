{#- Incremental strategy `rebuild_dates` for date- and week-grained models.

    Deletes every target row whose unique_key (reporting_date or week_start) is in the set
    int_reporting_dates_rebuilt lists for this load, then inserts the freshly computed rows
    of those dates. Unlike delete+insert it also clears a rebuilt date that now has no rows
    at all (e.g. its only ticket turned out to be the paper trail of a call). -#}
{% macro get_incremental_rebuild_dates_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set columns_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- if unique_key not in ('reporting_date', 'week_start') -%}
        {{ exceptions.raise_compiler_error(
            "rebuild_dates needs unique_key reporting_date or week_start, got " ~ unique_key
        ) }}
    {%- endif -%}

    delete from {{ target }}
    where {{ unique_key }} in (
        select rebuilt.{{ unique_key }}
        from {{ ref('int_reporting_dates_rebuilt') }} as rebuilt
    )
    or {{ unique_key }} in (
        select new_rows.{{ unique_key }}
        from {{ source }} as new_rows
    );

    insert into {{ target }} ({{ columns_csv }})
    (
        select {{ columns_csv }}
        from {{ source }}
    )
{%- endmacro %}
