{#- Customer keys of the vendor sources: a phone number never leaves the raw layer.

    keyed_hash(expr): HMAC-SHA256 of the text, in hex, keyed by the deployment's secret
    phone_hash_key. The key reaches the session, never the SQL: ccpipe hands it to dbt as the
    environment variable DBT_ENV_SECRET_CCPIPE_PHONE_HASH_KEY (scrubbed from dbt's logs),
    profiles.yml gives it to the plugin ccpipe.warehouse.dbt_session, which keeps only the
    key's HMAC pads in session variables. A row with a number and no key set fails the
    build; rows without a number never need it. -#}
{% macro keyed_hash(expr) -%}
    {{ return(adapter.dispatch('keyed_hash', 'ccpipe')(expr)) }}
{%- endmacro %}

{% macro default__keyed_hash(expr) -%}
    {{ exceptions.raise_compiler_error("keyed_hash needs a warehouse with session variables") }}
{%- endmacro %}

{% macro duckdb__keyed_hash(expr) -%}
    case
        when {{ expr }} is null then null
        when getvariable('ccpipe_phone_hash_ipad') is null
            then error('phone_hash_key is not set: a phone number cannot be hashed')
        else sha256(
            getvariable('ccpipe_phone_hash_opad')
            || unhex(sha256(getvariable('ccpipe_phone_hash_ipad') || encode({{ expr }})))
        )
    end
{%- endmacro %}

{#- A phone number as E.164 (+ and digits; spaces, dashes, dots and brackets dropped), or
    null when the text is not one (an anonymous caller's "anonymous", an empty value). -#}
{% macro e164(expr) -%}
    case
        when regexp_full_match(trim({{ expr }}), '\+[0-9][0-9 ().-]{5,}')
            then regexp_replace(trim({{ expr }}), '[^0-9+]', '', 'g')
    end
{%- endmacro %}

{#- The key of a number: 'phone:' and its keyed hash; null when the text is not a number. -#}
{% macro phone_key(expr) -%}
    'phone:' || {{ keyed_hash(e164(expr)) }}
{%- endmacro %}

{#- A vendor's customer key as given (trimmed, empty as null); a phone number in its place is
    hashed like any other, so no source can carry one past the raw layer. -#}
{% macro customer_key(expr) -%}
    case
        when {{ e164(expr) }} is not null then {{ phone_key(expr) }}
        else nullif(trim({{ expr }}), '')
    end
{%- endmacro %}
