-- Sessions with their derived source / medium / campaign, paid flag and channel: core's channel
-- when it set one, else the first matching rule of the channel_rules seed.
with

sessions as (
    select * from {{ ref('stg_core__sessions') }}
),

channel_rules as (
    select * from {{ ref('channel_rules') }}
),

derived as not materialized (
    select
        sessions.*,
        {{ paid_click_id_type('sessions') }} as click_id_type,
        {{ session_source('sessions') }} as source,
        {{ session_medium('sessions') }} as medium
    from sessions
),

with_campaign as not materialized (
    select
        derived.*,
        {{ session_campaign('derived', 'derived.medium') }} as campaign,
        derived.click_id_type is not null as has_paid_click_id
    from derived
),

-- the rules run once per distinct combination of what they test, not once per session, and the
-- sessions join the result: a filter on sessions (the incremental marts' changed people) reaches
-- core.sessions instead of waiting for every session to be classified
unclassified as (
    select distinct source, medium, campaign, referrer_class, has_paid_click_id
    from with_campaign
    where channel is null
),

matched_rules as (
    select distinct on (u.source, u.medium, u.campaign, u.referrer_class, u.has_paid_click_id)
        u.source, u.medium, u.campaign, u.referrer_class, u.has_paid_click_id, rules.channel
    from unclassified as u
    join channel_rules as rules
        on (rules.source_regex is null or u.source ~* rules.source_regex)
        and (rules.medium_regex is null or u.medium ~* rules.medium_regex)
        and (rules.campaign_regex is null or u.campaign ~* rules.campaign_regex)
        and (rules.referrer_class is null or u.referrer_class = rules.referrer_class)
        and (rules.has_click_id is null or u.has_paid_click_id = rules.has_click_id)
    order by u.source, u.medium, u.campaign, u.referrer_class, u.has_paid_click_id, rules.rule_order
),

classified as (
    select
        with_campaign.*,
        coalesce(with_campaign.channel, matched_rules.channel, 'Unassigned') as resolved_channel,
        (
            with_campaign.has_paid_click_id
            or coalesce(with_campaign.utm_medium ~* '{{ var("paid_medium_regex") }}', false)
        ) as is_paid
    from with_campaign
    left join matched_rules
        on with_campaign.channel is null
        and matched_rules.source = with_campaign.source
        and matched_rules.medium = with_campaign.medium
        and matched_rules.campaign = with_campaign.campaign
        and matched_rules.referrer_class is not distinct from with_campaign.referrer_class
        and matched_rules.has_paid_click_id = with_campaign.has_paid_click_id
)

select * from classified
