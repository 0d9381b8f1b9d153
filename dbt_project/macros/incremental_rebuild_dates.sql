{#- Incremental strategy `rebuild_dates` for date- and week-grained models.

    Deletes every target row whose unique_key (reporting_date or week_start) is in the set
    int_reporting_dates_rebuilt lists for this load, then inserts the freshly computed rows
    of those dates. Unlike delete+insert it also clears a rebuilt date that now has no rows
    at all (e.g. its only ticket turned out to be the paper trail of a call). Both strategies
    find int_reporting_dates_rebuilt (and the rebuild_keys_also model) through model_relation,
    not ref(): each model using them depends on those models already through its own reads
    (macro in_rebuilt_dates, or int_contacts_to_judge for fct_contacts), so its unit tests
    need no stub of them. -#}
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
        from {{ model_relation('int_reporting_dates_rebuilt') }} as rebuilt
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

{#- Incremental strategy `rebuild_keys` for row-grained models (one row per contact or per
    survey response) whose rows change one by one, not whole dates at a time.

    A daily load deletes the target rows whose unique_key is among the freshly computed rows
    or among the keys listed by the model named in config `rebuild_keys_also` (records this
    load delivered that may no longer have a row, e.g. a call re-delivered unanswered), then
    inserts the fresh rows. The delete only looks at the dates int_reporting_dates_rebuilt
    lists: every row replaced lies on one of them (the old and the new dates of the records
    this load delivered, the dates of the rows it re-judges or re-attributes), so the cost
    follows the load, not the history. Without a load_date every listed date (all of them)
    is deleted and recomputed whole, as `rebuild_dates` does. -#}
{% macro get_incremental_rebuild_keys_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set also = config.get('rebuild_keys_also') -%}
    {%- set columns_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}

    delete from {{ target }} as target_rows
    where target_rows.reporting_date in (
        select rebuilt.reporting_date
        from {{ model_relation('int_reporting_dates_rebuilt') }} as rebuilt
    )
    {%- if is_daily_load() %}
    and exists (
        select 1
        from (
            select {{ keys | join(', ') }} from {{ source }}
            {%- if also %}
            union all
            select {{ keys | join(', ') }} from {{ model_relation(also) }}
            {%- endif %}
        ) as replaced
        where
        {%- for key in keys %}
            replaced.{{ key }} = target_rows.{{ key }}{% if not loop.last %} and{% endif %}
        {%- endfor %}
    )
    {%- endif %};

    insert into {{ target }} ({{ columns_csv }})
    (
        select {{ columns_csv }}
        from {{ source }}
    )
{%- endmacro %}

{#- The clause ending a row-grained model: a full build (not incremental) writes its rows in
    date order. DuckDB keeps each row group's min and max date, so the date filters of a
    daily load then skip the row groups of other dates; unordered, every row group of a
    full build spans the whole history and a daily load reads all of it. A daily load
    appends only the few dates it rebuilt, so its rows stay clustered anyway. -#}
{% macro full_build_order(date_column) -%}
    {%- if not is_incremental() %}
order by {{ date_column }}
    {%- endif %}
{%- endmacro %}
