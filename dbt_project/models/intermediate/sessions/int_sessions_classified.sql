-- Sessions with their derived source / medium / campaign, paid flag and channel. The channel is core's
-- (orchestration/enrichment/traffic_rules.yaml, the one home of the channel rules and the paid-medium
-- pattern); a session is paid when it has a paid click id or core put it in a paid channel (var
-- paid_channels), which every utm_medium matching the paid-medium pattern or a display medium leads to.
-- Nested selects, no CTE: the incremental marts filter this view on changed persons, which reaches
-- core's index only through a view without a WITH list (docs/architecture.md D14).

select
    with_campaign.*,
    coalesce(with_campaign.channel, 'Unassigned') as resolved_channel,
    (
        with_campaign.has_paid_click_id
        or coalesce(with_campaign.channel in {{ sql_string_list(var('paid_channels')) }}, false)
    ) as is_paid
from (
    select
        derived.*,
        {{ session_campaign('derived', 'derived.medium') }} as campaign,
        derived.click_id_type is not null as has_paid_click_id
    from (
        select
            sessions.*,
            {{ paid_click_id_type('sessions') }} as click_id_type,
            {{ session_source('sessions') }} as source,
            {{ session_medium('sessions') }} as medium
        from {{ ref('stg_core__sessions') }} as sessions
    ) as derived
) as with_campaign
