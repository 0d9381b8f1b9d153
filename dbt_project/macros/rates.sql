{#- A fraction numerator / denominator; null when the denominator is 0 (no sample). -#}
{% macro safe_ratio(numerator, denominator) -%}
    case
        when {{ denominator }} > 0
            then cast({{ numerator }} as double) / cast({{ denominator }} as double)
    end
{%- endmacro %}

{#- 95% Wilson score interval of a proportion (z = var('confidence_z'), 1.96).
    bound = -1 gives the low end, +1 the high end; null when trials = 0.
    (p + z^2/2n +- z * sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    The bounds are exactly 0 and 1 at p = 0 and p = 1; the clamp removes the last-bit
    rounding (1.0000000000000002) that would otherwise put a rate outside [0, 1]. -#}
{% macro wilson_bound(successes, trials, bound) -%}
    {%- set z = 'cast(' ~ var('confidence_z') ~ ' as double)' -%}
    case
        when {{ trials }} > 0 then least(1.0, greatest(0.0, (
            cast({{ successes }} as double) / {{ trials }}
            + {{ z }} * {{ z }} / (2.0 * {{ trials }})
            {{ '-' if bound < 0 else '+' }} {{ z }} * sqrt(
                (cast({{ successes }} as double) / {{ trials }})
                * (1 - cast({{ successes }} as double) / {{ trials }})
                / {{ trials }}
                + {{ z }} * {{ z }} / (4.0 * {{ trials }} * {{ trials }})
            )
        ) / (1 + {{ z }} * {{ z }} / cast({{ trials }} as double))))
    end
{%- endmacro %}

{#- NPS in [-100, 100]: 100 x (promoters - detractors) / responses; null when no responses. -#}
{% macro nps_score(promoters, detractors, responses) -%}
    case
        when {{ responses }} > 0
            then 100.0 * ({{ promoters }} - {{ detractors }}) / cast({{ responses }} as double)
    end
{%- endmacro %}

{#- 95% margin of NPS (docs/metrics.md): z x 100 x sqrt((p + d - (p - d)^2) / n),
    p and d the promoter and detractor shares; null when no responses. -#}
{% macro nps_margin(promoters, detractors, responses) -%}
    {%- set z = 'cast(' ~ var('confidence_z') ~ ' as double)' -%}
    {%- set p = 'cast(' ~ promoters ~ ' as double) / ' ~ responses -%}
    {%- set d = 'cast(' ~ detractors ~ ' as double) / ' ~ responses -%}
    case
        when {{ responses }} > 0
            then {{ z }} * 100 * sqrt(
                (({{ p }}) + ({{ d }}) - (({{ p }}) - ({{ d }})) * (({{ p }}) - ({{ d }})))
                / {{ responses }}
            )
    end
{%- endmacro %}

{#- CES net in [-100, 100]: % agree - % disagree; null when no responses. -#}
{% macro net_score(agree, disagree, responses) -%}
    case
        when {{ responses }} > 0
            then 100.0 * ({{ agree }} - {{ disagree }}) / cast({{ responses }} as double)
    end
{%- endmacro %}

{#- Continuous percentile (median = 0.5), the standard ordered-set aggregate. -#}
{% macro percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}
