{#- Derived source / medium / campaign of a session (GA4 conventions), from UTM parameters, paid click
    ids and the referrer class that core computed. `s` is the alias of a relation with the columns
    of stg_core__sessions. -#}

{% macro paid_click_id_type(s) -%}
    case
        when {{ s }}.gclid is not null then 'gclid'
        when {{ s }}.gbraid is not null then 'gbraid'
        when {{ s }}.wbraid is not null then 'wbraid'
        when {{ s }}.msclkid is not null then 'msclkid'
        when {{ s }}.fbclid is not null then 'fbclid'
        when {{ s }}.ttclid is not null then 'ttclid'
        when {{ s }}.li_fat_id is not null then 'li_fat_id'
    end
{%- endmacro %}

{% macro session_source(s) -%}
    coalesce(
        nullif(lower(btrim({{ s }}.utm_source)), ''),
        case
            when {{ s }}.gclid is not null or {{ s }}.gbraid is not null or {{ s }}.wbraid is not null then 'google'
            when {{ s }}.msclkid is not null then 'bing'
            when {{ s }}.fbclid is not null then 'facebook'
            when {{ s }}.ttclid is not null then 'tiktok'
            when {{ s }}.li_fat_id is not null then 'linkedin'
        end,
        case when {{ s }}.referrer_class not in ('direct', 'internal') then nullif(lower({{ s }}.referrer_host), '') end,
        '(direct)'
    )
{%- endmacro %}

{% macro session_medium(s) -%}
    coalesce(
        nullif(lower(btrim({{ s }}.utm_medium)), ''),
        case when {{ paid_click_id_type(s) }} is not null then 'cpc' end,
        case {{ s }}.referrer_class
            when 'search' then 'organic'
            when 'social' then 'social'
            when 'email' then 'email'
            when 'referral' then 'referral'
        end,
        case when nullif(btrim({{ s }}.utm_source), '') is not null then '(not set)' end,
        '(none)'
    )
{%- endmacro %}

{% macro session_campaign(s, medium) -%}
    coalesce(
        nullif(btrim({{ s }}.utm_campaign), ''),
        case {{ medium }}
            when '(none)' then '(direct)'
            when 'organic' then '(organic)'
            when 'referral' then '(referral)'
            else '(not set)'
        end
    )
{%- endmacro %}
