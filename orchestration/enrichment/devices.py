"""Device per distinct user agent with ua-parser (rules from ua-parser-builtins), plus bot detection."""
from __future__ import annotations

import re

from ua_parser import parse

# ua-parser marks crawlers with device family "Spider"; these catch the rest (tools, headless browsers,
# monitors) the way analytics vendors' bot lists do.
BOT_RE = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrap|headless|phantomjs|lighthouse|pingdom|uptime|monitor|"
    r"curl/|wget/|python-requests|python-urllib|httpclient|go-http-client|java/|libwww|axios/|node-fetch",
    re.IGNORECASE,
)
TABLET_RE = re.compile(r"ipad|tablet|kindle|silk|playbook|nexus (7|9|10)|sm-t\d", re.IGNORECASE)
MOBILE_OS = {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS"}

DEVICE_COLUMNS = ("user_agent", "browser", "browser_version", "os", "os_version", "device_brand",
                  "device_model", "device_type", "is_bot")


def _version(part) -> str | None:
    if part is None or not part.major:
        return None
    return ".".join(p for p in (part.major, part.minor, getattr(part, "patch", None)) if p)


def classify(ua: str) -> tuple:
    r = parse(ua)
    browser = r.user_agent.family if r.user_agent else None
    os_family = r.os.family if r.os else None
    device = r.device
    is_bot = bool((device and device.family == "Spider") or BOT_RE.search(ua) or not ua.strip())
    if is_bot:
        device_type = "bot"
    elif TABLET_RE.search(ua) or (os_family == "Android" and "Mobile" not in ua and ua.startswith("Mozilla")):
        device_type = "tablet"
    elif os_family in MOBILE_OS or "Mobile" in ua:
        device_type = "mobile"
    elif os_family in (None, "Other") and browser in (None, "Other"):
        device_type = "other"
    else:
        device_type = "desktop"
    return (ua, browser if browser != "Other" else None, _version(r.user_agent),
            os_family if os_family != "Other" else None, _version(r.os),
            device.brand if device else None, device.model if device else None, device_type, is_bot)


def classify_many(user_agents: list[str]) -> list[tuple]:
    return [classify(ua) for ua in user_agents]
