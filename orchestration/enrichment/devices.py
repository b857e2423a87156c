"""Device per distinct user agent with ua-parser (rules from ua-parser-builtins); bots from a maintained
crawler list (crawlerdetect); server user agents.

The rules (README, "Bots and server events"):
- A browser user agent presents itself as a browser or an app: it starts with `Mozilla/` or `Opera/`, or
  ua-parser recognises its operating system (mobile apps: `Dalvik/...`, `MyApp/1 CFNetwork/... Darwin/...`).
- A bot is a `Mozilla/`/`Opera/` user agent that crawlerdetect lists (crawlers, headless browsers, audit
  tools; an app's HTTP library such as okhttp is not looked up), or a self-declared crawler: ua-parser's spider family with a contact URL (`facebookexternalhit/1.1 (+http://...)`).
- Any other user agent (curl, python-requests, Java, okhttp, a server SDK) is a server client: its events are
  server events, never bots. So is an event without a user agent (core/sql/enrich_batch.sql).
"""

from __future__ import annotations

import re
from functools import lru_cache

from crawlerdetect import CrawlerDetect
from ua_parser import parse

TABLET_RE = re.compile(r"ipad|tablet|kindle|silk|playbook|nexus (7|9|10)|sm-t\d", re.IGNORECASE)
MOBILE_OS = {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS"}
BROWSER_PREFIXES = ("mozilla/", "opera/")
DEVICE_TYPES = ("desktop", "mobile", "tablet", "bot", "server", "other")

DEVICE_COLUMNS = (
    "user_agent",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "device_brand",
    "device_model",
    "device_type",
    "is_bot",
    "is_server",
)


@lru_cache(maxsize=1)
def _crawlers() -> CrawlerDetect:
    return CrawlerDetect()


def _version(part) -> str | None:
    if part is None or not part.major:
        return None
    return ".".join(p for p in (part.major, part.minor, getattr(part, "patch", None)) if p)


def _known(family: str | None) -> str | None:
    return family if family not in (None, "Other") else None


def classify(ua: str) -> tuple:
    """One row in DEVICE_COLUMNS order."""
    r = parse(ua)
    browser = _known(r.user_agent.family if r.user_agent else None)
    os_family = _known(r.os.family if r.os else None)
    device = r.device
    spider = bool(device and device.family == "Spider")
    browser_like = ua.strip().lower().startswith(BROWSER_PREFIXES)
    is_browser = browser_like or os_family is not None
    is_bot = (browser_like and _crawlers().isCrawler(ua)) or (spider and "http" in ua.lower())
    is_server = not is_browser and not is_bot
    if is_bot:
        device_type = "bot"
    elif is_server:
        device_type = "server"
    elif TABLET_RE.search(ua) or (os_family == "Android" and "Mobile" not in ua and ua.startswith("Mozilla")):
        device_type = "tablet"
    elif os_family in MOBILE_OS or "Mobile" in ua:
        device_type = "mobile"
    elif os_family is None and browser is None:
        device_type = "other"
    else:
        device_type = "desktop"
    return (
        ua,
        browser,
        _version(r.user_agent),
        os_family,
        _version(r.os),
        device.brand if device else None,
        device.model if device else None,
        device_type,
        is_bot,
        is_server,
    )


def classify_many(user_agents: list[str]) -> list[tuple]:
    return [classify(ua) for ua in user_agents]
