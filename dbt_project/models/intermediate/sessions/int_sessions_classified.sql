-- Sessions with their derived source / medium / campaign, paid flag and channel: core's channel
-- when it set one, else the first matching rule of the channel_rules seed.
with

sessions as (
    select * from {{ ref('stg_core__sessions') }}
),

channel_rules as (
    select * from {{ ref('channel_rules') }}
),

derived as (
    select
        sessions.*,
        {{ paid_click_id_type('sessions') }} as click_id_type,
        {{ session_source('sessions') }} as source,
        {{ session_medium('sessions') }} as medium
    from sessions
),

with_campaign as (
    select
        derived.*,
        {{ session_campaign('derived', 'derived.medium') }} as campaign,
        derived.click_id_type is not null as has_paid_click_id
    from derived
),

classified as (
    select
        with_campaign.*,
        coalesce(with_campaign.channel, matched_rule.channel, 'Unassigned') as resolved_channel,
        (
            with_campaign.has_paid_click_id
            or coalesce(with_campaign.utm_medium ~* '{{ var("paid_medium_regex") }}', false)
        ) as is_paid
    from with_campaign
    left join lateral (
        select rules.channel
        from channel_rules as rules
        where (rules.source_regex is null or with_campaign.source ~* rules.source_regex)
          and (rules.medium_regex is null or with_campaign.medium ~* rules.medium_regex)
          and (rules.campaign_regex is null or with_campaign.campaign ~* rules.campaign_regex)
          and (rules.referrer_class is null or with_campaign.referrer_class = rules.referrer_class)
          and (rules.has_click_id is null or with_campaign.has_paid_click_id = rules.has_click_id)
        order by rules.rule_order
        limit 1
    ) as matched_rule on with_campaign.channel is null
)

select * from classified
