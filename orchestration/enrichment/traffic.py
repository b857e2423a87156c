"""Compile `traffic_rules.yaml` into SQL expressions for referrer class, source class and channel.

The expressions read the columns of `core/sql/enrich_batch.sql` (utm_source, utm_medium, utm_campaign,
referrer_host, page_host, click ids). Values are embedded as quoted literals, never raw text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

RULES_PATH = Path(__file__).with_name("traffic_rules.yaml")
# The one list of click ids and UTM parameters core reads from page URLs (columns of core.events and
# core.sessions by the same names); SQL gets them through the fragments below.
CLICK_IDS = ("gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid", "li_fat_id")
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id")


def campaign_parameters_sql() -> str:
    """The URL query parameters enrichment reads, as a SQL list of literals."""
    return ", ".join(lit(p) for p in (*UTM, *CLICK_IDS))


def click_key_sql() -> str:
    """A hash of an event's click ids (null without any): a new one mid-session starts a session."""
    parts = ", ".join(f"{lit(c)}, {c}" for c in CLICK_IDS)
    return f"CASE WHEN num_nonnulls({', '.join(CLICK_IDS)}) > 0 THEN md5(concat_ws(E'\\x1f', {parts}))::uuid END"


def lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _host_match(col: str, hosts: list[str]) -> str:
    """The host equals an entry or is a subdomain of it (one regular expression, compiled once)."""
    alternatives = "|".join(re.escape(h) for h in hosts)
    return f"{col} ~ {lit('(^|[.])(' + alternatives + ')$')}"


@lru_cache(maxsize=1)
def load_rules() -> dict:
    return yaml.safe_load(RULES_PATH.read_text())


def referrer_class_sql() -> str:
    r = load_rules()
    return (
        "CASE WHEN referrer_host IS NULL THEN 'direct'"
        " WHEN referrer_host = page_host THEN 'internal'"
        f" WHEN {_host_match('referrer_host', r['email']['hosts'])} THEN 'email'"
        f" WHEN {_host_match('referrer_host', r['search']['hosts'])} THEN 'search'"
        f" WHEN {_host_match('referrer_host', r['social']['hosts'])} THEN 'social'"
        " ELSE 'referral' END"
    )


def source_class_sql() -> str:
    """Class of utm_source when present, else of the referrer (uses the referrer_class column)."""
    r = load_rules()
    return (
        "CASE WHEN utm_source IS NOT NULL THEN CASE"
        f" WHEN utm_source ~* {lit(r['search']['sources'])} THEN 'search'"
        f" WHEN utm_source ~* {lit(r['social']['sources'])} THEN 'social'"
        f" WHEN utm_source ~* {lit(r['email']['sources'])} THEN 'email' END"
        " WHEN referrer_class IN ('search', 'social', 'email') THEN referrer_class END"
    )


def _condition(key: str, value) -> str:
    if key in ("medium", "source", "campaign"):
        return f"coalesce(utm_{key} ~* {lit(value)}, false)"
    if key == "source_class":
        return f"source_class IN ({', '.join(lit(v) for v in value)})"
    if key == "referrer_class":
        return f"referrer_class IN ({', '.join(lit(v) for v in value)})"
    if key == "click_id":
        unknown = set(value) - set(CLICK_IDS)
        if unknown:
            raise ValueError(f"traffic_rules.yaml: unknown click ids {sorted(unknown)}")
        return "(" + " OR ".join(f"{c} IS NOT NULL" for c in value) + ")"
    if key == "no_campaign":
        cond = "(" + " AND ".join(f"{c} IS NULL" for c in (*UTM, *CLICK_IDS)) + ")"
        return cond if value else f"NOT {cond}"
    raise ValueError(f"traffic_rules.yaml: unknown condition {key!r}")


def channel_sql() -> str:
    """Uses columns referrer_class and source_class (computed first)."""
    parts = []
    for rule in load_rules()["channels"]:
        conds = [_condition(k, v) for k, v in (rule.get("when") or {}).items()] or ["true"]
        parts.append(f" WHEN {' AND '.join(conds)} THEN {lit(rule['channel'])}")
    return "CASE" + "".join(parts) + " ELSE 'Unassigned' END"
