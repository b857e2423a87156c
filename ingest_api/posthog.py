"""PostHog events onto the raw contract of Segment messages (pure functions, no I/O).

What PostHog's SDKs send (posthog-js `/e/`, posthog-node and posthog-python `/batch/`): a body
`{"api_key", "batch": [...], "sent_at"}` (or one event, or a bare list), each event
`{"event", "distinct_id" (or properties.distinct_id), "properties", "timestamp", "uuid", "$set", "$set_once"}`.
The rules, as the README states them:

- type: `$pageview` -> page, `$screen` -> screen, `$identify` and `$set` -> identify, `$create_alias`
  -> alias, `$groupidentify` -> group; any other event (`$autocapture`, `$pageleave`, your own) -> track
  with that event name.
- ids: `uuid` -> messageId (a retry is stored once; an event without one gets a hash of its content).
  The anonymous id is `$anon_distinct_id` (on `$identify`) else `$device_id`; `distinct_id` is the userId,
  unless it is that anonymous id or the event says it is anonymous (`$is_identified` or
  `$process_person_profile` false), in which case it is the anonymousId and there is no userId. A server
  SDK's event (no `$device_id`) is therefore a known user's. `$create_alias`: `properties.alias` ->
  previousId, merged into distinct_id (userId).
- traits: `$set_once` then `$set` (top level or in properties; `$set` wins) -> traits of the identify;
  `$group_set` -> traits of the group, `$group_key` -> groupId, `$group_type` stays in properties.
- context: `$current_url`, `$pathname`, `$referrer` (not `$direct`), `$host`, `title` -> context.page;
  `utm_*` -> context.campaign; `$lib`/`$lib_version` -> context.library; `$raw_user_agent` ->
  context.userAgent; `$ip` -> context.ip; `$browser_language` -> context.locale; `$timezone`;
  `$screen_width`/`$screen_height` -> context.screen; `$session_id` -> context.sessionId.
- time: `timestamp` -> timestamp; the body's `sent_at` -> sentAt (clock skew correction as for Segment).
- properties: the rest of what PostHog sent; a property that became one of the fields above moves there
  (it is not stored twice), and `token` (the write key) is dropped, as every key is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ingest_api.events import UTM_TO_CAMPAIGN

TYPES = {
    "$pageview": "page",
    "$screen": "screen",
    "$identify": "identify",
    "$set": "identify",
    "$create_alias": "alias",
    "$groupidentify": "group",
}
_PAGE = {"$current_url": "url", "$pathname": "path", "$host": "host", "title": "title"}


def events_of(body: Any) -> tuple[list[Any], str | None] | None:
    """The events of a PostHog body and its `sent_at`; None when the body holds no events."""
    if isinstance(body, list):
        return body, None
    if not isinstance(body, dict):
        return None
    sent_at = body.get("sent_at") if isinstance(body.get("sent_at"), str) else None
    batch = body.get("batch")
    if isinstance(batch, list):
        return batch, sent_at
    if isinstance(body.get("event"), str) or "properties" in body:
        return [body], sent_at
    return None


def _anonymous(props: dict[str, Any]) -> bool:
    return props.get("$is_identified") is False or props.get("$process_person_profile") is False


def to_segment(ev: Any, sent_at: str | None = None) -> Any:
    """One PostHog event as a Segment message (non-objects are returned unchanged, to be rejected).
    A property that became a field of the message moves there (it is not kept twice); `token` (the
    write key) is dropped."""
    if not isinstance(ev, dict):
        return ev
    props = ev.get("properties")
    props = dict(props) if isinstance(props, dict) else {}
    props.pop("token", None)
    name = ev.get("event")
    kind = TYPES.get(name, "track") if isinstance(name, str) else "track"
    msg: dict[str, Any] = {"type": kind, "properties": props}
    if kind == "track":
        msg["event"] = name
    for src, dst in (("uuid", "messageId"), ("timestamp", "timestamp")):
        if ev.get(src) is not None:
            msg[dst] = ev[src]
    if sent_at is not None:
        msg["sentAt"] = sent_at

    distinct = ev.get("distinct_id", props.get("distinct_id"))
    props.pop("distinct_id", None)
    anonymous = props.pop("$anon_distinct_id", None) if name == "$identify" else None
    if anonymous is None:
        anonymous = props.pop("$device_id", None)
    if anonymous is None and _anonymous(props):
        anonymous = distinct
    if anonymous is not None:
        msg["anonymousId"] = anonymous
    if distinct is not None and distinct != anonymous:
        msg["userId"] = distinct

    if kind == "identify":
        traits = {}
        for field in ("$set_once", "$set"):
            for where in (props, ev):
                if isinstance(where.get(field), dict):
                    traits.update(where[field])
            props.pop(field, None)
        msg["traits"] = traits
    elif kind == "alias":
        msg["previousId"] = props.pop("alias", None)
        msg["userId"] = distinct
    elif kind == "group":
        msg["groupId"] = props.pop("$group_key", None)
        group_set = props.pop("$group_set", None)
        msg["traits"] = group_set if isinstance(group_set, dict) else {}

    context: dict[str, Any] = {}
    page = {dst: props.pop(src) for src, dst in _PAGE.items() if isinstance(props.get(src), str)}
    if isinstance(props.get("$referrer"), str) and props["$referrer"] != "$direct":
        page["referrer"] = props.pop("$referrer")
    if isinstance(page.get("url"), str):
        query = urlsplit(page["url"]).query
        if query:
            page["search"] = "?" + query
    if page:
        context["page"] = page
    campaign = {dst: props.pop(src) for src, dst in UTM_TO_CAMPAIGN.items() if props.get(src) is not None}
    if campaign:
        context["campaign"] = campaign
    if props.get("$lib") is not None:
        context["library"] = {"name": props.pop("$lib"), "version": props.pop("$lib_version", None)}
    for src, dst in (
        ("$raw_user_agent", "userAgent"),
        ("$ip", "ip"),
        ("$browser_language", "locale"),
        ("$timezone", "timezone"),
        ("$session_id", "sessionId"),
    ):
        if props.get(src) is not None:
            context[dst] = props.pop(src)
    if props.get("$screen_width") is not None:
        context["screen"] = {"width": props.pop("$screen_width"), "height": props.pop("$screen_height", None)}
    msg["context"] = context
    return msg
