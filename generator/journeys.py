"""`touchline generate`: synthetic traffic of a web shop, deterministic for a seed, with ground truth.

The simulation works in *true* time. Visitors (people) own devices; each device has a stream of
explicit sessions (gaps inside a session 3 s..20 min, at most 2 h long, consecutive sessions of a device
start at least 2 h 50 min apart, so more than 45 min lie between them). Campaigns (UTM parameters, click
ids) only appear on the first event of a session. Identity follows what a site does: `identify` at
sign-up and login, userId carried on later events of a logged-in device, `alias` when a user id changes,
logout at the end of every session on a shared device.

Delivery: an event is sent a little after it happens (`sentAt` = send time on the device clock, which
may be skewed by minutes or hours; `timestamp` = true time on that clock) and received after a small
network latency, so `receivedAt - (sentAt - timestamp)` = true time + latency (< 1 s). Some sessions of
mobile devices are delivered late (days after they happened, at the end of the period); some messages
and whole batches are delivered twice; a few malformed items are mixed in.

The ground truth (`Dataset.truth`) is computed from the simulation with the rules of docs/architecture.md §4
(sessions as generated; users by "identity over time"; alias chains to their end), independently of SQL.
Its format is documented in `truth_format` below.
"""
from __future__ import annotations

import argparse
import bisect
import datetime as dt
import gc
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

import orjson
import psycopg
from touchline import warehouse

SITE = "https://www.northwind-outfitters.com"
SITE_HOST = "www.northwind-outfitters.com"

SEC = 1_000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR
MIN_GAP = 3 * SEC  # between events of a session (latency noise is < 1 s)
MAX_GAP = 20 * MIN
MAX_SESSION = 2 * HOUR
SESSION_SPACING = 2 * HOUR + 50 * MIN  # between session starts on one device: > 45 min between sessions
LOOKBACK = 30 * DAY  # attribution window of the truth's touchpoints
LATE_MIN, LATE_MAX = int(1.1 * DAY), int(2.75 * DAY)  # late sessions: this long before the period's end

truth_format = """
{
  "version": 1, "seed": int, "events_requested": int, "days": int,
  "start": ISO, "end": ISO,                       # simulated period (true time), end exclusive
  "session_timeout_minutes": 30, "lookback_days": 30,
  "counts": {"messages", "unique_messages", "valid_events", "human_events", "bot_events", "sessions",
             "users", "duplicates", "duplicate_copies", "late", "malformed", "conversions"},
  "events": {messageId: [session_key, user]},     # every valid, unique, non-bot event (server events: no session)
  "sessions": {session_key: {"stream", "user", "start", "end", "events", "pageviews", "landing_path",
               "referrer_host", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
               "click_id_type", "click_id", "traffic"}},
  "aliases": {id: canonical_id},                  # every id merged by alias, to the end of its chain
  "users": {canonical_id: {"ids": [...], "streams": [...]}},
  "bots": [messageId], "duplicates": [messageId], "late": [messageId],
  "malformed": [{"reason", "messageId", "raw"}],
  "conversions": [{"messageId", "event", "user", "stream", "session", "converted_at", "revenue",
                   "currency", "touchpoints": [session_key, ...]}]
}
session_key = messageId of the session's first event; user = canonical user id or null; stream =
anonymousId (or userId for events without one); times are true times, ISO 8601 UTC with milliseconds.
"""

# --------------------------------------------------------------------------- helpers
_DAY_PREFIX: dict[int, str] = {}
_EPOCH_DATE = dt.date(1970, 1, 1)


def iso(ms: int) -> str:
    """Epoch milliseconds -> `YYYY-MM-DDTHH:MM:SS.mmmZ` (fast)."""
    day, rem = divmod(ms, DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = (_EPOCH_DATE + dt.timedelta(days=day)).isoformat() + "T"
    s, milli = divmod(rem, 1000)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return f"{prefix}{h:02d}:{m:02d}:{s:02d}.{milli:03d}Z"


def parse_iso(value: str) -> int:
    d = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return int(d.timestamp() * 1000)


def default_end(now: dt.datetime | None = None) -> int:
    """Today 00:00 UTC: the same seed gives the same data all day."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return int(dt.datetime(now.year, now.month, now.day, tzinfo=dt.timezone.utc).timestamp() * 1000)


def _uuid(rng: Random) -> str:
    x = rng.getrandbits(128)
    h = f"{x:032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[x & 3]}{h[17:20]}-{h[20:]}"


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _token(rng: Random, n: int) -> str:
    return "".join(rng.choice(_B64) for _ in range(n))


def _weighted(rng: Random, items: list, cum: list[float]):
    return items[bisect.bisect(cum, rng.random() * cum[-1])]


def _cum(weights) -> list[float]:
    out, s = [], 0.0
    for w in weights:
        s += w
        out.append(s)
    return out


# --------------------------------------------------------------------------- catalogues
FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
         "Joseph Jessica Thomas Sarah Lucas Emma Noah Olivia Liam Ava Mateo Sofia Hugo Chloe Leon Mia Felix "
         "Lena Paul Camille Arjun Priya Kenji Yuki Ana Pedro Giulia Marco").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Wilson "
        "Anderson Thomas Taylor Moore Martin Lee Clark Mueller Schmidt Schneider Dubois Bernard Moreau Rossi "
        "Russo Silva Santos Oliveira Sharma Patel Tanaka Sato Kowalski Novak Jensen Larsen Murphy").split()
MAIL = ["gmail.com", "gmail.com", "gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com",
        "proton.me", "gmx.de", "orange.fr", "web.de", "acme-corp.com", "initech.io"]

PRODUCTS = [
    ("alpine-2p-tent", "Alpine 2P Tent", 349.0), ("ridge-hiking-boots", "Ridge Hiking Boots", 179.0),
    ("summit-down-jacket", "Summit Down Jacket", 259.0), ("trail-runner-pack-20l", "Trail Runner Pack 20L", 89.0),
    ("basecamp-sleeping-bag", "Basecamp Sleeping Bag", 149.0), ("titanium-spork", "Titanium Spork", 12.5),
    ("headlamp-400", "Headlamp 400", 39.0), ("merino-base-layer", "Merino Base Layer", 79.0),
    ("rain-shell-pro", "Rain Shell Pro", 219.0), ("trekking-poles-carbon", "Carbon Trekking Poles", 129.0),
    ("camp-stove-mini", "Mini Camp Stove", 59.0), ("water-filter-squeeze", "Squeeze Water Filter", 35.0),
    ("insulated-bottle-1l", "Insulated Bottle 1L", 29.0), ("hammock-ultralight", "Ultralight Hammock", 69.0),
    ("wool-socks-3pack", "Wool Socks (3 pack)", 24.0), ("gps-watch-explorer", "Explorer GPS Watch", 399.0),
    ("climbing-harness", "Climbing Harness", 85.0), ("kids-rain-jacket", "Kids Rain Jacket", 55.0),
    ("solar-charger-21w", "Solar Charger 21W", 74.0), ("first-aid-kit", "First Aid Kit", 32.0),
]
BLOG = ["how-to-choose-a-tent", "best-hikes-in-the-alps", "layering-101", "leave-no-trace", "winter-camping-tips",
        "packing-list-weekend", "trail-running-for-beginners", "water-purification-guide", "boot-fitting-guide",
        "family-camping-checklist", "ultralight-backpacking", "navigation-without-phone"]
STATIC = [("/", "Northwind Outfitters — Gear for the outdoors", 10), ("/collections/tents", "Tents", 3),
          ("/collections/footwear", "Footwear", 3), ("/collections/jackets", "Jackets", 3),
          ("/collections/sale", "Sale", 2), ("/pricing", "Northwind Club membership", 1.5),
          ("/about", "About us", 0.6), ("/contact", "Contact", 0.4), ("/stores", "Store locator", 0.6),
          ("/help/shipping", "Shipping & returns", 0.8), ("/blog", "Journal", 1.2)]
TRACK_BROWSE = [("Product Viewed", 6), ("Products Searched", 2), ("Product List Viewed", 2),
                ("Video Played", 0.6), ("Button Clicked", 1.5), ("Newsletter Subscribed", 0.3),
                ("Wishlist Product Added", 0.6)]
SEARCH_TERMS = ["tent", "boots", "down jacket", "sleeping bag", "headlamp", "rain jacket", "gps watch", "socks"]
CURRENCIES = {"US": "USD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "ES": "EUR", "IT": "EUR", "BR": "BRL",
              "IN": "INR", "JP": "JPY", "CA": "CAD", "AU": "AUD", "NL": "EUR"}

# IP pools: (country, locale, timezone, utc offset hours, weight, v4 patterns, v6 patterns). Patterns are
# public ISP blocks; `{}` placeholders take random octets / hextets.
COUNTRIES = [
    ("US", "en-US", "America/New_York", -5, 22, ["73.{}.{}.{}", "24.{}.{}.{}", "98.{}.{}.{}"], ["2600:1700:{:x}:{:x}::{:x}"]),
    ("US", "en-US", "America/Chicago", -6, 8, ["71.{}.{}.{}", "99.{}.{}.{}"], ["2601:{:x}:{:x}:{:x}::{:x}"]),
    ("US", "en-US", "America/Los_Angeles", -8, 10, ["76.{}.{}.{}", "107.{}.{}.{}"], ["2600:1700:{:x}:{:x}::{:x}"]),
    ("CA", "en-CA", "America/Toronto", -5, 4, ["174.{}.{}.{}", "99.{}.{}.{}"], []),
    ("GB", "en-GB", "Europe/London", 0, 12, ["86.{}.{}.{}", "81.{}.{}.{}", "31.{}.{}.{}"], ["2a02:c7c:{:x}:{:x}::{:x}"]),
    ("DE", "de-DE", "Europe/Berlin", 1, 10, ["87.{}.{}.{}", "91.{}.{}.{}", "93.{}.{}.{}"], ["2003:e8:{:x}:{:x}::{:x}"]),
    ("FR", "fr-FR", "Europe/Paris", 1, 8, ["90.{}.{}.{}", "82.{}.{}.{}", "86.{}.{}.{}"], ["2a01:e0a:{:x}:{:x}::{:x}"]),
    ("NL", "nl-NL", "Europe/Amsterdam", 1, 3, ["84.{}.{}.{}", "77.{}.{}.{}"], []),
    ("ES", "es-ES", "Europe/Madrid", 1, 4, ["83.{}.{}.{}", "88.{}.{}.{}"], []),
    ("IT", "it-IT", "Europe/Rome", 1, 4, ["151.{}.{}.{}", "79.{}.{}.{}"], []),
    ("BR", "pt-BR", "America/Sao_Paulo", -3, 5, ["177.{}.{}.{}", "187.{}.{}.{}"], ["2804:14c:{:x}:{:x}::{:x}"]),
    ("IN", "en-IN", "Asia/Kolkata", 5.5, 5, ["49.{}.{}.{}", "117.{}.{}.{}"], []),
    ("JP", "ja-JP", "Asia/Tokyo", 9, 3, ["126.{}.{}.{}", "60.{}.{}.{}"], ["240b:{:x}:{:x}:{:x}::{:x}"]),
    ("AU", "en-AU", "Australia/Sydney", 10, 3, ["101.{}.{}.{}", "120.{}.{}.{}"], []),
]
_COUNTRY_CUM = _cum(c[4] for c in COUNTRIES)

UA = {
    "desktop": [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 14),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36", 6),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80", 5),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", 3),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 7),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", 6),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0", 1.5),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 1.5),
        ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", 0.8),
        ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 0.8),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0", 0.6),
    ],
    "mobile": [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", 14),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1", 4),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", 2),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21E219 [FBAN/FBIOS;FBAV/460.0.0.38.108;FBBV/589069120]", 1),
        ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", 12),
        ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", 3),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", 2),
        ("Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", 2),
        ("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", 0.5),
        ("Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.118 Mobile Safari/537.36", 1),
    ],
    "tablet": [
        ("Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", 5),
        ("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 2),
        ("Mozilla/5.0 (Linux; Android 11; Lenovo TB-J606F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36", 1),
    ],
    "app": [
        ("NorthwindShop/3.4.1 (iPhone; iOS 17.4.1; Scale/3.00)", 3),
        ("NorthwindShop/3.4.0 (Android 14; Pixel 7) okhttp/4.12.0", 2),
    ],
}
_UA_CUM = {k: (list(v), _cum(w for _, w in v)) for k, v in UA.items()}
BOTS = [  # (user agent, ip patterns, weight)
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", ["66.249.{}.{}"], 5),
    ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.60 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", ["66.249.{}.{}"], 3),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", ["40.77.167.{}", "157.55.39.{}"], 3),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", ["54.36.148.{}", "5.39.1.{}"], 2),
    ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", ["185.191.171.{}"], 2),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", ["5.255.253.{}"], 1),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", ["20.171.207.{}"], 1),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36", ["3.{}.{}.{}", "54.{}.{}.{}"], 2),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", ["69.171.249.{}"], 1),
]
_BOT_CUM = _cum(b[2] for b in BOTS)

# Traffic sources of a session's landing page: (traffic, weight, referrer choices, utm/click-id recipe)
SEARCH_REF = [("https://www.google.com/", 80), ("https://www.bing.com/", 12), ("https://duckduckgo.com/", 5),
              ("https://search.yahoo.com/", 3)]
SOCIAL_REF = [("https://l.facebook.com/", 30), ("https://m.facebook.com/", 10), ("https://t.co/", 20),
              ("https://www.linkedin.com/", 12), ("https://www.reddit.com/", 15), ("https://l.instagram.com/", 13)]
REFERRAL_REF = [("https://www.outdoorgearlab.com/reviews/camping-hiking/backpacking-tent", 5),
                ("https://www.rei.com/learn/expert-advice/backpacking-checklist.html", 2),
                ("https://news.ycombinator.com/", 1), ("https://www.wirecutter.com/reviews/best-tents/", 4),
                ("https://blog.trailjournals.com/gear-review", 2), ("https://www.alltrails.com/trail/us/utah", 3),
                ("https://de.wikipedia.org/wiki/Zelt", 1), ("https://www.switchbacktravel.com/best-hiking-boots", 3)]
TRAFFIC = [("direct", 27), ("organic_search", 22), ("paid_search", 10), ("organic_social", 8),
           ("paid_social", 8), ("email", 10), ("referral", 10), ("affiliate", 3), ("display", 2)]
_TRAFFIC_CUM = _cum(w for _, w in TRAFFIC)
CAMPAIGNS = {
    "google_cpc": ["brand_search", "generic_tents", "generic_boots", "pmax_spring_sale", "competitor_terms"],
    "bing_cpc": ["brand_search_bing", "generic_outdoor_bing"],
    "facebook": ["spring_sale_prospecting", "retargeting_cart", "lookalike_buyers"],
    "instagram": ["reels_summer_collection", "spring_sale_prospecting"],
    "tiktok": ["ugc_trail_videos"],
    "linkedin": ["corporate_gifting_q2"],
    "newsletter": ["weekly_digest", "spring_sale_launch", "new_arrivals", "abandoned_cart_reminder"],
    "affiliate": ["partner_outdoorgearlab", "partner_trailblog"],
    "display": ["gdn_remarketing", "programmatic_awareness"],
}


def _norm(items):
    return [x for x, _ in items], _cum(w for _, w in items)


_SEARCH, _SOCIAL, _REFERRAL = _norm(SEARCH_REF), _norm(SOCIAL_REF), _norm(REFERRAL_REF)
_STATIC_PAGES = [(p, t) for p, t, _ in STATIC]
_STATIC_CUM = _cum(w for _, _, w in STATIC)
_TRACK_NAMES, _TRACK_CUM = _norm(TRACK_BROWSE)
_HOURS_CUM = _cum([1, .6, .4, .3, .3, .4, .8, 1.5, 2.2, 2.6, 2.8, 2.8, 2.7, 2.7, 2.8, 2.8, 2.7, 2.6, 2.6, 2.8,
                   3.0, 2.8, 2.2, 1.5])
_NO_SOURCE = {"landing_path": None, "referrer_host": None, "utm_source": None, "utm_medium": None,
              "utm_campaign": None, "utm_term": None, "utm_content": None, "click_id_type": None, "click_id": None}
CLICK_IDS = ("gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid", "li_fat_id")


# --------------------------------------------------------------------------- model
class Device:
    __slots__ = ("anon", "ua", "kind", "country", "ip", "skew", "locale", "tz", "off", "library", "uid",
                 "shared", "will_login", "app_ctx", "stream", "is_server")

    def __init__(self):
        self.uid: str | None = None
        self.shared = False
        self.will_login = True
        self.app_ctx = None
        self.is_server = False


class Person:
    __slots__ = ("pid", "kind", "first", "last", "email", "ids", "cur", "created_at", "plan", "signed_up",
                 "signup_at", "alias_at", "devices", "order_p", "force_orders")

    def __init__(self, pid):
        self.pid = pid
        self.ids: list[str] = []
        self.cur = 0
        self.signed_up = False
        self.signup_at = -1
        self.alias_at: list[int] = []
        self.devices: list[Device] = []
        self.force_orders: set[int] = set()

    @property
    def uid(self) -> str | None:
        return self.ids[self.cur] if self.ids else None


class Session:
    __slots__ = ("stream", "dev", "person", "events", "info", "late", "bot")

    def __init__(self, dev, person, bot=False):
        self.dev, self.person, self.bot = dev, person, bot
        self.stream = dev.anon or dev.uid
        self.events: list[tuple[int, dict]] = []
        self.info: dict | None = None
        self.late = False


@dataclass
class Dataset:
    """Messages in delivery order (duplicates and late ones included), malformed items, ground truth.

    `received_ms[i]` is the synthetic receive time of `messages[i]` (used by load_raw), `skew_ms[i]` the
    clock skew of its device (post_http re-stamps `sentAt` with it), `malformed_positions[j]` the index in
    `messages` before which `malformed[j]` is delivered."""
    messages: list[dict]
    malformed: list[Any]
    truth: dict
    received_ms: list[int] = field(default_factory=list, repr=False)
    skew_ms: list[int] = field(default_factory=list, repr=False)
    malformed_positions: list[int] = field(default_factory=list, repr=False)

    def stream(self):
        """Items in delivery order: ('msg', index) or ('bad', index into malformed)."""
        j, bad = 0, sorted(range(len(self.malformed)), key=lambda k: self.malformed_positions[k])
        for i in range(len(self.messages) + 1):
            while j < len(bad) and self.malformed_positions[bad[j]] <= i:
                yield "bad", bad[j]
                j += 1
            if i < len(self.messages):
                yield "msg", i


# --------------------------------------------------------------------------- simulation
class _Sim:
    def __init__(self, events: int, seed: int, days: int, end_ms: int):
        self.rng = Random(seed)
        self.seed, self.target, self.days = seed, events, days
        self.end = end_ms
        self.start = end_ms - days * DAY
        self.sessions: list[Session] = []
        self.bot_sessions: list[Session] = []
        self.human_events = 0
        self.persons = 0
        self.orders = 0
        self.alias: dict[str, str] = {}
        self.server_devs: dict[str, Device] = {}
        self.url_cache: dict[str, str] = {}
        self.user_ids: set[str] = set()

    # ---- entities
    def device(self, kind: str, country=None, skew=None) -> Device:
        rng = self.rng
        d = Device()
        d.kind = kind
        c = country or _weighted(rng, COUNTRIES, _COUNTRY_CUM)
        d.country = c
        d.locale, d.tz, d.off = c[1], c[2], c[3]
        uas, cum = _UA_CUM[kind]
        d.ua = _weighted(rng, uas, cum)[0]
        d.ip = self.ip(c)
        if skew is None:
            r = rng.random()
            if r < 0.80:
                skew = rng.randint(-1500, 1500)
            elif r < 0.93:
                skew = rng.choice((-1, 1)) * rng.randint(1 * MIN, 40 * MIN)
            else:
                skew = rng.choice((-1, 1)) * (rng.randint(1, 7) * HOUR + rng.randint(-90, 90) * SEC)
        d.skew = skew
        if kind == "app":
            d.anon = _uuid(rng).upper()
            ios = "iPhone" in d.ua
            d.library = {"name": "analytics-ios" if ios else "analytics-android", "version": "4.1.8" if ios else "4.11.3"}
            d.app_ctx = ({"name": "NorthwindShop", "version": "3.4.1" if ios else "3.4.0", "build": "3410"},
                         {"type": "ios" if ios else "android", "manufacturer": "Apple" if ios else "Google",
                          "model": "iPhone15,2" if ios else "Pixel 7"},
                         {"name": "iOS" if ios else "Android", "version": "17.4.1" if ios else "14"})
        else:
            d.anon = _uuid(rng)
            d.library = {"name": "analytics.js", "version": rng.choice(("npm:next-1.70.0", "next-1.66.0", "next-1.70.0"))}
        d.stream = d.anon
        return d

    def ip(self, c) -> str:
        rng = self.rng
        if c[6] and rng.random() < 0.14:
            return rng.choice(c[6]).format(*(rng.randint(1, 0xFFFF) for _ in range(4)))
        return rng.choice(c[5]).format(rng.randint(1, 254), rng.randint(0, 255), rng.randint(1, 254))

    def person(self, kind: str) -> Person:
        rng = self.rng
        p = Person(self.persons)
        self.persons += 1
        p.kind = kind
        p.first, p.last = rng.choice(FIRST), rng.choice(LAST)
        n = rng.randint(1, 999)
        p.email = f"{p.first.lower()}.{p.last.lower()}{n if rng.random() < 0.6 else ''}@{rng.choice(MAIL)}"
        while p.email in self.user_ids:  # emails may become user ids (alias): keep them unique
            p.email = f"{p.first.lower()}.{p.last.lower()}{rng.randint(1000, 99999)}@{rng.choice(MAIL)}"
        self.user_ids.add(p.email)
        p.plan = rng.choice(("free", "free", "free", "club", "club_plus"))
        p.created_at = self.start - rng.randint(1, 900) * DAY
        p.order_p = 0.015
        if kind in ("customer", "alias", "signup"):
            p.ids = [self.new_user_id()]
            p.order_p = 0.07
        if kind == "alias":  # id changes: email-based -> (legacy number ->) database id
            chain = [p.email]
            if rng.random() < 0.4:
                chain.append(self.legacy_id())
            p.ids = chain + p.ids
        return p

    def legacy_id(self) -> str:
        while True:
            uid = f"legacy-{self.rng.randint(10000, 999999)}"
            if uid not in self.user_ids:
                self.user_ids.add(uid)
                return uid

    def new_user_id(self) -> str:
        while True:
            uid = "usr_" + "".join(self.rng.choice("0123456789abcdefghjkmnpqrstvwxyz") for _ in range(12))
            if uid not in self.user_ids:
                self.user_ids.add(uid)
                return uid

    def session_starts(self, n: int, dev: Device) -> list[int]:
        rng, out = self.rng, []
        span = self.end - self.start
        for _ in range(n):
            day = rng.randrange(max(1, self.days))
            local = bisect.bisect(_HOURS_CUM, rng.random() * _HOURS_CUM[-1]) * HOUR + rng.randrange(HOUR)
            t = self.start + day * DAY + local - int(dev.off * HOUR)
            if not self.start <= t < self.end:
                t = self.start + rng.randrange(span)
            out.append(t)
        out.sort()
        return self.space(out)

    def space(self, starts: list[int]) -> list[int]:
        out = []
        for t in starts:
            if out and t < out[-1] + SESSION_SPACING:
                t = out[-1] + SESSION_SPACING + self.rng.randrange(2 * HOUR)
            if t < self.end - 5 * MIN:
                out.append(t)
        return out

    # ---- households
    def household(self):
        """One random person (or a household with a shared device), all their sessions."""
        rng = self.rng
        r = rng.random()
        if r < 0.012:
            return self.shared_household()
        kind = "visitor" if r < 0.74 else "signup" if r < 0.83 else "alias" if r < 0.845 else "customer"
        p = self.person(kind)
        n_dev = 1 if rng.random() < 0.7 else 2 if rng.random() < 0.75 else 3
        kinds = [self.pick_kind(first=True)] + [self.pick_kind() for _ in range(n_dev - 1)]
        country = None
        for k in kinds:
            d = self.device(k, country)
            country = d.country
            if kind in ("customer", "alias") and rng.random() < 0.6:
                d.uid = p.ids[0]  # logged in before the period began
            d.will_login = rng.random() < 0.8
            p.devices.append(d)
        if kind == "visitor":
            n = 1 if rng.random() < 0.6 else rng.randint(2, 4)
        else:
            n = rng.randint(2, 6) if rng.random() < 0.7 else rng.randint(7, 25)
        counts = [0] * n_dev
        for _ in range(n):
            counts[0 if rng.random() < 0.6 else rng.randrange(n_dev)] += 1
        plan = []
        for d, c in zip(p.devices, counts):
            plan += [(t, d, p) for t in self.session_starts(c, d)]
        plan.sort(key=lambda x: x[0])
        if kind == "signup" and plan:
            p.signup_at = rng.randrange(len(plan) // 2 + 1)
        if kind == "alias" and plan:
            steps = len(p.ids) - 1
            p.alias_at = sorted(rng.randrange(len(plan)) for _ in range(steps))
        self.run_plan(plan)
        if p.ids and rng.random() < 0.05:
            self.server_events(p, rng.randint(1, 3))

    def pick_kind(self, first=False) -> str:
        r = self.rng.random()
        if r < 0.025:
            return "app"
        if first:
            return "desktop" if r < 0.5 else "mobile" if r < 0.93 else "tablet"
        return "mobile" if r < 0.6 else "desktop" if r < 0.85 else "tablet"

    def shared_household(self, n_sessions=None):
        """A family computer used by two people; each logs in during their own sessions (logout after)."""
        rng = self.rng
        a, b = self.person("customer"), self.person("customer")
        shared = self.device("desktop")
        shared.shared = True
        plan = []
        starts = self.session_starts(n_sessions or rng.randint(3, 8), shared)
        for i, t in enumerate(starts):
            plan.append((t, shared, (a, b)[i % 2] if i < 2 else rng.choice((a, b))))
        for p in (a, b):
            phone = self.device("mobile", shared.country)
            phone.uid = p.ids[0] if rng.random() < 0.5 else None
            p.devices = [shared, phone]
            plan += [(t, phone, p) for t in self.session_starts(rng.randint(1, 3), phone)]
        plan.sort(key=lambda x: x[0])
        self.run_plan(plan)

    def run_plan(self, plan):
        """Run sessions in time order; sessions of one device are kept SESSION_SPACING apart."""
        plan.sort(key=lambda x: x[0])
        last: dict[int, int] = {}
        fixed = []
        for t, dev, p in plan:
            prev = last.get(id(dev))
            if prev is not None and t < prev + SESSION_SPACING:
                t = prev + SESSION_SPACING
            if t < self.end - 5 * MIN:
                last[id(dev)] = t
                fixed.append((t, dev, p))
        fixed.sort(key=lambda x: x[0])
        idx: dict[int, int] = {}
        for t, dev, p in fixed:
            i = idx.get(p.pid, 0)
            idx[p.pid] = i + 1
            self.session(t, dev, p, i)

    def server_events(self, p: Person, n: int):
        """Backend events with a userId only (no anonymousId): their own stream per userId."""
        rng = self.rng
        uid = p.ids[-1]
        dev = self.server_devs.get(uid)
        if dev is None:
            dev = Device()
            dev.anon, dev.uid, dev.kind, dev.skew, dev.is_server = None, uid, "server", 0, True
            dev.stream = uid
            dev.library = {"name": "analytics-python", "version": "2.3.2"}
            self.server_devs[uid] = dev
        for t in self.space(sorted(self.start + rng.randrange(self.end - self.start) for _ in range(n))):
            s = Session(dev, p)
            name = rng.choice(("Subscription Renewed", "Invoice Paid", "Loyalty Points Earned"))
            props = {"amount": round(rng.uniform(5, 60), 2), "plan": p.plan}
            msg = {"messageId": _uuid(rng), "type": "track", "userId": uid, "event": name, "properties": props,
                   "context": {"library": dev.library}}
            self.stamp(msg, t, 0)
            s.events.append((t, msg))
            s.info = dict(_NO_SOURCE, traffic="server")
            self.sessions.append(s)
            self.human_events += 1

    # ---- one session
    def session(self, t0: int, dev: Device, p: Person, i: int):
        rng = self.rng
        s = Session(dev, p)
        if dev.shared:
            dev.uid = None  # the previous person logged out
        acts = []
        if dev.shared:
            acts.append("login")
        if p.kind == "signup" and not p.signed_up and i >= p.signup_at:
            acts.append("signup")
        elif p.ids and (p.signed_up or p.kind != "signup") and dev.uid is None and dev.will_login and not dev.shared:
            acts.append("login")
        while p.alias_at and i >= p.alias_at[0] and (dev.uid or "login" in acts):
            p.alias_at.pop(0)
            acts.append("alias")
        if i in p.force_orders or rng.random() < (p.order_p if (dev.uid or acts) else 0.012):
            acts.append("order")
        rng.shuffle(acts)
        # identification comes before alias and orders (a logged-in buyer)
        acts.sort(key=lambda a: {"signup": 0, "login": 0, "alias": 1, "order": 2}[a])
        n_browse = 1 + min(int(rng.expovariate(1 / 3.2)), 40)
        self.t, self.s, self.t0 = t0, s, t0
        self.page_url = None
        traffic = self.landing(dev)
        positions = sorted(rng.randint(0, n_browse - 1) for _ in acts)
        k = 0
        for b in range(n_browse):
            while k < len(acts) and positions[k] == b:
                if not self.action(acts[k], dev, p):
                    break
                k += 1
            if b and not self.browse(dev):
                break
        while k < len(acts):
            if not self.action(acts[k], dev, p):
                break
            k += 1
        if dev.shared:
            dev.uid = None
        if s.events:
            s.info["traffic"] = traffic
            self.sessions.append(s)
            self.human_events += len(s.events)

    def advance(self) -> bool:
        rng = self.rng
        g = int(rng.expovariate(1 / 50_000))
        if rng.random() < 0.08:
            g += rng.randrange(10 * MIN)
        g = min(max(g, MIN_GAP), MAX_GAP)
        t = self.t + g
        if t - self.t0 > MAX_SESSION or t >= self.end:
            return False
        self.t = t
        return True

    def url(self, path: str) -> str:
        u = self.url_cache.get(path)
        if u is None:
            u = self.url_cache[path] = SITE + path
        return u

    def page_obj(self, path, title, referrer, search=""):
        url = self.url(path) if not search else SITE + path + search
        page = {"path": path, "referrer": referrer, "search": search, "title": title, "url": url}
        self.page_url = url
        return page

    def landing(self, dev: Device) -> str:
        rng = self.rng
        traffic = _weighted(rng, TRAFFIC, _TRAFFIC_CUM)[0]
        if dev.uid and rng.random() < 0.4:
            traffic = "direct"
        utm: dict[str, str] = {}
        click = None
        referrer = ""
        if traffic == "organic_search":
            referrer = _weighted(rng, *_SEARCH)
        elif traffic == "paid_search":
            if rng.random() < 0.8:
                referrer = "https://www.google.com/"
                utm = {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": rng.choice(CAMPAIGNS["google_cpc"]),
                       "utm_term": rng.choice(SEARCH_TERMS)}
                r = rng.random()
                ctype = "gclid" if r < 0.85 or dev.kind != "mobile" else "gbraid" if r < 0.93 else "wbraid"
                click = (ctype, "Cj0KCQjw" + _token(rng, 80) if ctype == "gclid" else "0AAAAA" + _token(rng, 40))
                if rng.random() < 0.25:
                    utm = {}  # auto-tagging only: gclid without UTMs
            else:
                referrer = "https://www.bing.com/"
                utm = {"utm_source": "bing", "utm_medium": "cpc", "utm_campaign": rng.choice(CAMPAIGNS["bing_cpc"]),
                       "utm_term": rng.choice(SEARCH_TERMS)}
                click = ("msclkid", f"{rng.getrandbits(128):032x}")
        elif traffic == "organic_social":
            referrer = _weighted(rng, *_SOCIAL)
            if "facebook" in referrer and rng.random() < 0.5:
                click = ("fbclid", "IwAR" + _token(rng, 56))
        elif traffic == "paid_social":
            net = rng.choice(("facebook", "facebook", "facebook", "instagram", "tiktok", "linkedin"))
            referrer = {"facebook": "https://l.facebook.com/", "instagram": "https://l.instagram.com/",
                        "tiktok": "https://www.tiktok.com/", "linkedin": "https://www.linkedin.com/"}[net]
            utm = {"utm_source": net, "utm_medium": "paid_social", "utm_campaign": rng.choice(CAMPAIGNS[net]),
                   "utm_content": rng.choice(("video_a", "carousel_b", "static_c"))}
            click = {"facebook": ("fbclid", "IwAR" + _token(rng, 56)), "instagram": ("fbclid", "PAAa" + _token(rng, 56)),
                     "tiktok": ("ttclid", "E.C.P." + _token(rng, 40)), "linkedin": ("li_fat_id", _uuid(rng))}[net]
        elif traffic == "email":
            referrer = "https://mail.google.com/" if rng.random() < 0.2 else ""
            utm = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": rng.choice(CAMPAIGNS["newsletter"]),
                   "utm_content": rng.choice(("hero", "footer", "product_grid"))}
        elif traffic == "referral":
            referrer = _weighted(rng, *_REFERRAL)
        elif traffic in ("affiliate", "display"):
            referrer = "https://www.outdoorgearlab.com/" if traffic == "affiliate" else "https://www.theguardian.com/"
            utm = {"utm_source": "outdoorgearlab" if traffic == "affiliate" else "google",
                   "utm_medium": traffic, "utm_campaign": rng.choice(CAMPAIGNS[traffic])}
        # landing page
        if utm or click:
            path, title = (rng.choice(((("/collections/sale", "Sale"),) * 2) + (("/", STATIC[0][1]),))
                           if rng.random() < 0.5 else self.product_page())
        elif traffic == "organic_search" and rng.random() < 0.35:
            slug = rng.choice(BLOG)
            path, title = f"/blog/{slug}", slug.replace("-", " ").capitalize()
        else:
            path, title = (_weighted(rng, _STATIC_PAGES, _STATIC_CUM) if rng.random() < 0.6 else self.product_page())
        q = dict(utm)
        if click:
            q[click[0]] = click[1]
        search = ("?" + "&".join(f"{k}={v.replace(' ', '+')}" for k, v in q.items())) if q else ""
        campaign = None
        if utm and rng.random() < 0.7:  # as analytics.js parses it from the URL
            campaign = {k[4:] if k != "utm_campaign" else "name": v for k, v in utm.items()}
        s = self.s
        host = referrer.split("/")[2] if referrer else None
        s.info = {"landing_path": None if dev.kind == "app" else path, "referrer_host": host,
                  "utm_source": utm.get("utm_source"), "utm_medium": utm.get("utm_medium"),
                  "utm_campaign": utm.get("utm_campaign"), "utm_term": utm.get("utm_term"),
                  "utm_content": utm.get("utm_content"), "click_id_type": click[0] if click else None,
                  "click_id": click[1] if click else None}
        if dev.kind == "app":
            s.info = dict(_NO_SOURCE)
            self.screen(dev, "Home")
            return "app"
        page = self.page_obj(path, title, referrer, search)
        self.emit(dev, "page", {"name": title, "properties": page}, page, campaign)
        return traffic

    def product_page(self):
        slug, name, _ = self.rng.choice(PRODUCTS)
        return f"/products/{slug}", name

    def view(self, dev, path, title, search=""):
        if dev.kind == "app":
            return self.screen(dev, title)
        page = self.page_obj(path, title, self.page_url or "", search)
        self.emit(dev, "page", {"name": title, "properties": page}, page)
        return True

    def screen(self, dev, name):
        self.emit(dev, "screen", {"name": name, "properties": {}}, None)
        return True

    def track(self, dev, event, props):
        self.emit(dev, "track", {"event": event, "properties": props}, self.cur_page(dev))

    def cur_page(self, dev):
        s = self.s
        if dev.kind == "app" or not s.events:
            return None
        return s.events[-1][1]["context"].get("page")

    def browse(self, dev) -> bool:
        if not self.advance():
            return False
        rng = self.rng
        if rng.random() < 0.6:
            r = rng.random()
            if r < 0.45:
                path, title = self.product_page()
            elif r < 0.85:
                path, title = _weighted(rng, _STATIC_PAGES, _STATIC_CUM)
            elif r < 0.93:
                slug = rng.choice(BLOG)
                path, title = f"/blog/{slug}", slug.replace("-", " ").capitalize()
            else:
                term = rng.choice(SEARCH_TERMS)
                return self.view(dev, "/search", "Search results", "?q=" + term.replace(" ", "+"))
            return self.view(dev, path, title)
        name = _weighted(rng, _TRACK_NAMES, _TRACK_CUM)
        if name == "Product Viewed" or name == "Wishlist Product Added":
            slug, pname, price = rng.choice(PRODUCTS)
            props = {"product_id": slug, "name": pname, "price": price, "currency": "USD"}
        elif name == "Products Searched":
            props = {"query": rng.choice(SEARCH_TERMS)}
        elif name == "Product List Viewed":
            props = {"list_id": rng.choice(("tents", "footwear", "jackets", "sale"))}
        elif name == "Button Clicked":
            props = {"label": rng.choice(("size_guide", "add_to_wishlist", "store_pickup", "chat"))}
        else:
            props = {}
        self.track(dev, name, props)
        return True

    def action(self, act: str, dev: Device, p: Person) -> bool:
        """Run one scripted action; False when the session ran out of time."""
        rng = self.rng
        if act in ("signup", "login"):
            if not self.advance():
                return False
            if act == "signup":
                p.signed_up = True
                p.created_at = self.t
            path = "/account/register" if act == "signup" else "/account/login"
            self.view(dev, path, "Create account" if act == "signup" else "Sign in")
            if not self.advance():
                return True
            dev.uid = p.uid
            traits = {"email": p.email, "name": f"{p.first} {p.last}", "first_name": p.first,
                      "last_name": p.last, "plan": p.plan, "created_at": iso(p.created_at)}
            if act == "login" and rng.random() < 0.5:
                traits = {"email": p.email}
            self.emit(dev, "identify", {"traits": traits}, self.cur_page(dev))
            if self.advance():
                if act == "signup":
                    self.track(dev, "Signed Up", {"method": rng.choice(("email", "google", "apple")), "plan": p.plan})
                else:
                    self.track(dev, "Logged In", {"method": "password"})
            return True
        if act == "alias":
            if not self.advance():
                return False
            old = p.uid
            p.cur += 1
            new = p.uid
            dev.uid = new
            self.alias[old] = new
            self.emit(dev, "alias", {"previousId": old}, self.cur_page(dev))
            if self.advance():
                self.emit(dev, "identify", {"traits": {"email": p.email, "plan": p.plan}}, self.cur_page(dev))
            return True
        if act == "order":
            items = [rng.choice(PRODUCTS) for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 3))]
            slug, name, price = items[0]
            for step in ("view", "add", "checkout", "done"):
                if not self.advance():
                    return False
                if step == "view":
                    self.view(dev, f"/products/{slug}", name)
                elif step == "add":
                    self.track(dev, "Product Added", {"product_id": slug, "name": name, "price": price, "quantity": 1})
                elif step == "checkout":
                    self.view(dev, "/checkout", "Checkout")
                else:
                    currency = CURRENCIES.get(dev.country[0], "USD")
                    revenue = round(sum(x[2] for x in items), 2)
                    self.orders += 1
                    self.track(dev, "Order Completed", {
                        "order_id": f"NW-{self.seed % 1000:03d}-{self.orders:07d}", "revenue": revenue,
                        "total": round(revenue * 1.08 + 4.95, 2), "tax": round(revenue * 0.08, 2), "shipping": 4.95,
                        "currency": currency,
                        "products": [{"product_id": s_, "name": n_, "price": pr, "quantity": 1} for s_, n_, pr in items]})
            return True
        raise ValueError(act)

    def emit(self, dev: Device, typ: str, extra: dict, page: dict | None, campaign=None):
        msg = {"messageId": ("ajs-next-" + f"{self.rng.getrandbits(128):032x}") if dev.kind != "app" else _uuid(self.rng).upper(),
               "type": typ, "anonymousId": dev.anon}
        if dev.uid:
            msg["userId"] = dev.uid
        msg.update(extra)
        ctx = {"ip": dev.ip, "userAgent": dev.ua, "locale": dev.locale, "timezone": dev.tz, "library": dev.library}
        if page is not None:
            ctx["page"] = page
        if campaign:
            ctx["campaign"] = campaign
        if dev.app_ctx:
            ctx["app"], ctx["device"], ctx["os"] = dev.app_ctx
        msg["context"] = ctx
        self.stamp(msg, self.t, dev.skew)
        self.s.events.append((self.t, msg))

    @staticmethod
    def stamp(msg, t, skew):
        ts = iso(t + skew)
        msg["timestamp"] = ts
        msg["originalTimestamp"] = ts
        msg["integrations"] = {}

    # ---- bots
    def bot_crawl(self):
        rng = self.rng
        ua, ips, _ = _weighted(rng, BOTS, _BOT_CUM)
        d = Device()
        d.kind, d.anon, d.ua, d.skew = "bot", _uuid(rng), ua, 0
        d.ip = rng.choice(ips).format(*(rng.randint(1, 254) for _ in range(3)))
        d.locale, d.tz, d.off = "en-US", "UTC", 0
        d.library = {"name": "analytics.js", "version": "npm:next-1.70.0"}
        s = Session(d, None, bot=True)
        self.s, self.page_url = s, None
        self.t = self.start + rng.randrange(self.end - self.start - HOUR)
        n = rng.randint(3, 60)
        for _ in range(n):
            r = rng.random()
            if r < 0.5:
                path, title = self.product_page()
            elif r < 0.8:
                path, title = _weighted(rng, _STATIC_PAGES, _STATIC_CUM)
            else:
                slug = rng.choice(BLOG)
                path, title = f"/blog/{slug}", slug
            page = self.page_obj(path, title, "")
            self.emit(d, "page", {"name": title, "properties": page}, page)
            self.t += rng.randint(300, 8000)
        self.bot_sessions.append(s)
        return n

    # ---- forced scenarios (so that every case exists even in small runs)
    def scenarios(self):
        rng, S, span = self.rng, self.start, self.end - self.start

        def at(frac):
            return S + int(span * frac) + rng.randrange(HOUR)

        # 1. sign-up on the desktop; browsed on the phone before (retroactive) and logs in there later
        p = self.person("signup")
        desk, phone = self.device("desktop", skew=0), self.device("mobile", skew=2 * HOUR + 13 * SEC)
        p.devices = [desk, phone]
        plan = [(at(0.10), phone, p), (at(0.20), desk, p), (at(0.30), desk, p), (at(0.55), phone, p),
                (at(0.80), desk, p)]
        p.signup_at = 1
        p.force_orders = {2, 4}
        self.run_plan(plan)
        # 2. shared device, two people one after the other
        self.shared_household(n_sessions=4)
        # 3. alias chain: email -> legacy id -> database id
        p = self.person("alias")
        if len(p.ids) == 2:
            p.ids.insert(1, self.legacy_id())
        d = self.device("desktop", skew=-7 * MIN)
        d.uid = p.ids[0]
        p.devices = [d]
        p.alias_at = [1, 2]
        p.force_orders = {3}
        self.run_plan([(at(f), d, p) for f in (0.15, 0.35, 0.5, 0.7)])
        self.server_events(p, 2)
        # 4. anonymous guest checkout (never identified) after an earlier visit
        p = self.person("visitor")
        d = self.device("mobile", skew=-3 * HOUR)
        d.will_login = False
        p.force_orders = {1}
        self.run_plan([(at(0.4), d, p), (at(0.6), d, p)])
        # 5. a late mobile session (delivered days later) of a returning customer
        p = self.person("customer")
        d = self.device("mobile", skew=25 * MIN)
        d.uid = p.ids[0]
        late_t = max(self.end - LATE_MAX + HOUR, S + SESSION_SPACING)
        self.run_plan([(max(S, min(at(0.3), late_t - SESSION_SPACING)), d, p), (late_t, d, p)])
        for s in self.sessions:
            if s.dev is d and s.events[0][0] >= late_t and s.events[-1][0] <= self.end - LATE_MIN:
                s.late = True  # (periods shorter than ~3 days have no room for it)
        # 6. an app user with screens
        p = self.person("customer")
        d = self.device("app")
        self.run_plan([(at(0.45), d, p), (at(0.65), d, p)])

    # ---- all of it
    def run(self):
        rng = self.rng
        bots_target = max(3, int(self.target * 0.03))
        human_target = int(self.target * 0.955)
        self.scenarios()
        while self.human_events < human_target:
            self.household()
        bots = 0
        while bots < bots_target:
            bots += self.bot_crawl()
        # late: a few whole mobile sessions that happened 1.1..2.75 days before the end
        for s in self.sessions:
            if (s.dev.kind in ("mobile", "app") and not s.late and self.end - LATE_MAX <= s.events[0][0]
                    and s.events[-1][0] <= self.end - LATE_MIN and rng.random() < 0.15):
                s.late = True


# --------------------------------------------------------------------------- delivery + truth
def generate(events: int = 50_000, seed: int = 42, days: int = 30, end: int | str | dt.datetime | None = None) -> Dataset:
    """Simulate `events` (approximately) over `days` ending at `end` (default today 00:00 UTC)."""
    if end is None:
        end_ms = default_end()
    elif isinstance(end, str):
        end_ms = parse_iso(end)
    elif isinstance(end, dt.datetime):
        end_ms = int(end.timestamp() * 1000)
    else:
        end_ms = int(end)
    gc_was = gc.isenabled()
    gc.disable()
    try:
        sim = _Sim(events, seed, days, end_ms)
        sim.run()
        data = _deliver(sim)
        if events >= 200_000:
            gc.freeze()  # millions of acyclic dicts: keep the cyclic GC from rescanning them afterwards
        return data
    finally:
        if gc_was:
            gc.enable()


def _deliver(sim: _Sim) -> Dataset:
    rng = Random(sim.seed * 7919 + 1)  # own stream: delivery changes do not move the simulation
    end = sim.end
    recs: list[tuple] = []  # (received, seq, skew, msg)
    seq = 0
    late_ids: list[str] = []
    for s in sim.sessions + sim.bot_sessions:
        dev = s.dev
        skew = dev.skew
        app = dev.kind == "app"
        if s.late:
            base = end - rng.randrange(2 * HOUR)
            for j, (t, msg) in enumerate(s.events):
                recv = base + j * 40
                msg["sentAt"] = iso(recv - 25 + skew)
                recs.append((recv, seq, skew, msg))
                seq += 1
                late_ids.append(msg["messageId"])
            continue
        for t, msg in s.events:
            send = t + (rng.randrange(30_000) if app else rng.randrange(5, 400))
            recv = send + rng.randrange(15, 600)
            msg["sentAt"] = iso(send + skew)
            recs.append((recv, seq, skew, msg))
            seq += 1
    recs.sort()
    # retried duplicates: single messages, and whole batches (same messageIds, a little later)
    n = len(recs)
    dups: list[tuple] = []
    late_set = set(late_ids)
    for _ in range(max(2, n // 150)):
        r = recs[rng.randrange(n)]
        if r[3]["messageId"] not in late_set:
            dups.append((r[0] + rng.randint(1 * SEC, 120 * SEC), seq, r[2], r[3]))
            seq += 1
    for _ in range(max(1, n // 20_000)):
        i = rng.randrange(max(1, n - 20))
        batch = [r for r in recs[i:i + 20] if r[3]["messageId"] not in late_set]
        if batch:
            when = batch[-1][0] + rng.randint(10 * SEC, 60 * SEC)
            for k, r in enumerate(batch):
                dups.append((when + k, seq, r[2], r[3]))
                seq += 1
    recs.extend(dups)
    recs.sort()
    messages = [r[3] for r in recs]
    received = [r[0] for r in recs]
    skews = [r[2] for r in recs]
    malformed, positions, bad_truth = _malformed(rng, sim, len(messages))
    truth = _truth(sim, messages, late_ids, dups, bad_truth)
    return Dataset(messages, malformed, truth, received, skews, positions)


def _malformed(rng: Random, sim: _Sim, n_messages: int):
    kinds = ["missing_type", "track_without_event", "alias_without_previous_id", "missing_ids",
             "invalid_timestamp", "invalid_json"]
    count = max(12, sim.target // 2000)
    items, positions, info = [], [], []
    base_t = sim.start + (sim.end - sim.start) // 2
    for i in range(count):
        kind = kinds[i % len(kinds)]
        mid = "ajs-next-" + f"{rng.getrandbits(128):032x}"
        anon = _uuid(rng)
        ts = iso(base_t + rng.randrange(DAY))
        msg: dict[str, Any] = {"messageId": mid, "type": "track", "anonymousId": anon, "event": "Button Clicked",
                               "properties": {"label": "broken"}, "context": {"library": {"name": "analytics.js", "version": "next-1.70.0"}},
                               "timestamp": ts, "sentAt": ts}
        if kind == "missing_type":
            del msg["type"]
        elif kind == "track_without_event":
            del msg["event"]
        elif kind == "alias_without_previous_id":
            msg["type"], msg["userId"] = "alias", "usr_" + f"{rng.getrandbits(40):010x}"
            del msg["event"]
        elif kind == "missing_ids":
            del msg["anonymousId"]
        elif kind == "invalid_timestamp":
            msg["timestamp"] = rng.choice(("yesterday at noon", "2024-13-45T25:61:00Z", "not-a-date"))
        item: Any = msg
        if kind == "invalid_json":
            item = orjson.dumps(msg).decode()[:-rng.randint(5, 30)]  # truncated JSON text
        items.append(item)
        positions.append(rng.randrange(n_messages + 1))
        info.append({"reason": kind, "messageId": mid, "raw": item})
    return items, positions, info


def _truth(sim: _Sim, messages, late_ids, dups, bad) -> dict:
    alias = sim.alias

    def canon(uid):
        seen = 0
        while uid in alias and seen < 100:
            uid, seen = alias[uid], seen + 1
        return uid

    streams: dict[str, list[Session]] = {}
    for s in sim.sessions:
        streams.setdefault(s.stream, []).append(s)
    ev: dict[str, list] = {}
    sessions: dict[str, dict] = {}
    server_events: list[tuple[int, str, str]] = []
    interactive: dict[str, list[tuple[int, str, str | None]]] = {}
    users: dict[str, dict] = {}
    by_user: dict[str, list] = {}
    by_stream_anon: dict[str, list] = {}
    conversions = []
    for stream, ss in streams.items():
        ss.sort(key=lambda s: s.events[0][0])
        first_user = None
        for s in ss:
            for _, m in s.events:
                if "userId" in m:
                    first_user = canon(m["userId"])
                    break
            if first_user:
                break
        last = None
        prev_end = None
        for s in ss:
            ident = next((canon(m["userId"]) for _, m in s.events if "userId" in m), None)
            if s.dev.is_server:  # server events (userId only) start no session: see attach_server_events below
                for t, m in s.events:
                    ev[m["messageId"]] = [None, ident]
                    server_events.append((t, m["messageId"], ident))
                    u = users.setdefault(ident, {"ids": set(), "streams": []})
                    u["ids"].add(m["userId"])
                    if stream not in u["streams"]:
                        u["streams"].append(stream)
                continue
            cur = ident or last or first_user
            key = s.events[0][1]["messageId"]
            if prev_end is not None and s.events[0][0] - prev_end <= 30 * MIN:
                raise AssertionError(f"sessions too close on {stream}")
            prev_end = s.events[-1][0]
            pageviews = 0
            for t, m in s.events:
                if "userId" in m:
                    u = canon(m["userId"])
                    if u != cur:
                        raise AssertionError(f"user changes inside session {key}")
                    last = cur
                ev[m["messageId"]] = [key, cur]
                if m["type"] in ("page", "screen"):
                    pageviews += 1
                if m["type"] in ("page", "screen", "track"):
                    interactive.setdefault(stream, []).append((t, key, cur))
            rec = {"stream": stream, "user": cur, "start": iso(s.events[0][0]), "end": iso(s.events[-1][0]),
                   "events": len(s.events), "pageviews": pageviews}
            rec.update(s.info)
            sessions[key] = rec
            (by_user.setdefault(cur, []) if cur else by_stream_anon.setdefault(stream, [])).append((s.events[0][0], key))
            if cur:
                u = users.setdefault(cur, {"ids": set(), "streams": []})
                if stream not in u["streams"]:
                    u["streams"].append(stream)
            for t, m in s.events:
                if "userId" in m:
                    users.setdefault(cur, {"ids": set(), "streams": [stream]})["ids"].add(m["userId"])
                if m["type"] == "track" and m["event"] in ("Order Completed", "Signed Up"):
                    props = m["properties"]
                    conversions.append({"messageId": m["messageId"], "event": m["event"], "user": cur,
                                        "stream": stream, "session": key, "converted_at": iso(t), "_t": t,
                                        "revenue": props.get("revenue"), "currency": props.get("currency")})
    # A server event joins its person's session in progress: the session of the person's latest interactive
    # event before it on any device, within 30 minutes, when that event is its device's latest then and the
    # session is under 24 h old (orchestration/core/sql/attach_server_events.sql).
    for lst in interactive.values():
        lst.sort()
    for t, mid, user in server_events:
        best = None
        for stream in users.get(user, {}).get("streams", []):
            lst = interactive.get(stream, [])
            i = bisect.bisect_left(lst, (t,)) - 1
            if i >= 0 and t - lst[i][0] <= 30 * MIN and lst[i][2] == user and (best is None or lst[i][0] > best[0]):
                best = lst[i]
        if best is not None and t - parse_iso(sessions[best[1]]["start"]) < DAY:
            ev[mid] = [best[1], user]
            rec = sessions[best[1]]
            rec["events"] += 1
            rec["end"] = iso(max(parse_iso(rec["end"]), t))
    for lst in by_user.values():
        lst.sort()
    for lst in by_stream_anon.values():
        lst.sort()
    for c in conversions:
        t = c.pop("_t")
        lst = by_user[c["user"]] if c["user"] else by_stream_anon[c["stream"]]
        c["touchpoints"] = [k for st, k in lst if t - LOOKBACK <= st <= t]
        assert c["session"] in c["touchpoints"]
    conversions.sort(key=lambda c: (c["converted_at"], c["messageId"]))
    for u in users.values():
        u["ids"] = sorted(u["ids"])
    bots = [m["messageId"] for s in sim.bot_sessions for _, m in s.events]
    dup_ids = list(dict.fromkeys(r[3]["messageId"] for r in dups))
    n_unique = len({m["messageId"] for m in messages})
    return {
        "version": 1, "seed": sim.seed, "events_requested": sim.target, "days": sim.days,
        "start": iso(sim.start), "end": iso(sim.end), "session_timeout_minutes": 30, "lookback_days": 30,
        "counts": {"messages": len(messages), "unique_messages": n_unique, "valid_events": n_unique,
                   "human_events": len(ev), "bot_events": len(bots), "sessions": len(sessions),
                   "users": len(users), "duplicates": len(dup_ids), "duplicate_copies": len(dups),
                   "late": len(late_ids), "malformed": len(bad), "conversions": len(conversions)},
        "events": ev, "sessions": sessions,
        "aliases": {k: canon(k) for k in alias},
        "users": users, "bots": bots, "duplicates": dup_ids, "late": late_ids,
        "malformed": bad, "conversions": conversions,
    }


# --------------------------------------------------------------------------- outputs
def write_jsonl(dataset: Dataset, path) -> int:
    """One message per line in delivery order; malformed items as their raw text. Returns lines written."""
    n = 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        buf = []
        for kind, i in dataset.stream():
            item = dataset.messages[i] if kind == "msg" else dataset.malformed[i]
            buf.append(item.encode() if isinstance(item, str) else orjson.dumps(item))
            n += 1
            if len(buf) >= 10_000:
                f.write(b"\n".join(buf) + b"\n")
                buf = []
        if buf:
            f.write(b"\n".join(buf) + b"\n")
    return n


def write_truth(dataset: Dataset, path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(orjson.dumps(dataset.truth))


def _now_ms() -> int:
    return int(time.time() * 1000)


def post_http(dataset: Dataset, base_url: str, key: str, batch_size: int = 100, concurrency: int = 4,
              progress: bool = True, timeout: float = 30.0, transport=None) -> dict:
    """POST everything to `base_url/v1/batch` in Segment's batch format, `concurrency` requests at a time.

    `sentAt` is re-stamped at sending time on each device's clock (real now + skew) so that the
    server's `receivedAt - (sentAt - timestamp)` gives the true event time. Malformed dicts travel inside
    ordinary batches (the API rejects them one by one); invalid JSON text is posted alone. 429 and 5xx
    answers and connection errors are retried (up to 6 times, honouring Retry-After); when a request
    still fails, the rest is not sent (failed_requests > 0). Returns counts:
    requests, messages, malformed, ok (2xx), rejected_requests (4xx), retries, failed_requests, errors
    (first few), seconds, events_per_second. `transport` is for tests (an httpx transport)."""
    import httpx  # noqa: PLC0415 (only the HTTP mode needs it)

    url = base_url.rstrip("/") + "/v1/batch"
    # build the request plan: lists of message indexes / malformed dicts, or raw strings
    plan: list[Any] = []
    cur: list = []
    for kind, i in dataset.stream():
        if kind == "bad" and isinstance(dataset.malformed[i], str):
            plan.append(dataset.malformed[i])
            continue
        cur.append((kind, i))
        if len(cur) >= batch_size:
            plan.append(cur)
            cur = []
    if cur:
        plan.append(cur)
    stats = {"requests": 0, "messages": 0, "malformed": 0, "ok": 0, "rejected_requests": 0, "retries": 0,
             "failed_requests": 0, "errors": []}
    lock = threading.Lock()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(dataset.messages) + len(dataset.malformed), unit="ev", desc="POST /v1/batch",
                   file=sys.stderr)
    client = httpx.Client(auth=httpx.BasicAuth(key, ""), timeout=timeout, transport=transport,
                          limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))

    abort = threading.Event()  # a request that failed all its attempts stops the rest

    def send(item) -> None:
        n_items = 1
        err = "aborted after an earlier failure"
        for attempt in range(7):
            if abort.is_set():
                break
            if isinstance(item, str):
                body = item.encode()
            else:
                now = _now_ms()
                batch = []
                for kind, i in item:
                    if kind == "msg":
                        m = dict(dataset.messages[i])
                        m["sentAt"] = iso(now + dataset.skew_ms[i])
                        batch.append(m)
                    else:
                        batch.append(dataset.malformed[i])
                n_items = len(batch)
                body = orjson.dumps({"batch": batch, "sentAt": iso(now)})
            try:
                r = client.post(url, content=body, headers={"Content-Type": "application/json"})
            except httpx.TransportError as exc:
                err, wait = f"{type(exc).__name__}: {exc}", min(30.0, 0.5 * 2 ** attempt)
            else:
                if r.status_code < 300 or (400 <= r.status_code < 500 and r.status_code not in (408, 429)):
                    with lock:
                        stats["requests"] += 1
                        if isinstance(item, str):
                            stats["malformed"] += 1
                        else:
                            stats["messages"] += sum(1 for k, _ in item if k == "msg")
                            stats["malformed"] += sum(1 for k, _ in item if k == "bad")
                        if r.status_code < 300:
                            stats["ok"] += 1
                        else:
                            stats["rejected_requests"] += 1
                            if not isinstance(item, str) and len(stats["errors"]) < 5:
                                stats["errors"].append(f"{r.status_code}: {r.text[:200]}")
                        if bar is not None:
                            bar.update(n_items)
                    return
                err = f"HTTP {r.status_code}"
                try:
                    wait = float(r.headers.get("Retry-After", "")) if r.status_code == 429 else 0.5 * 2 ** attempt
                except ValueError:
                    wait = 1.0
            with lock:
                stats["retries"] += 1
            time.sleep(min(wait, 10.0))
        abort.set()
        with lock:
            stats["failed_requests"] += 1
            if len(stats["errors"]) < 5 and err not in stats["errors"]:
                stats["errors"].append(err)

    t0 = time.perf_counter()
    try:
        try:  # fail fast when nothing listens there (any HTTP answer will do)
            client.get(base_url.rstrip("/") + "/api/v1/health", timeout=5)
        except httpx.TransportError as exc:
            stats.update(failed_requests=len(plan), errors=[f"cannot reach {base_url}: {type(exc).__name__}: {exc}"],
                         seconds=0.0, events_per_second=None)
            return stats
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for f in [pool.submit(send, item) for item in plan]:
                f.result()
    finally:
        client.close()
        if bar is not None:
            bar.close()
    stats["seconds"] = round(time.perf_counter() - t0, 2)
    stats["events_per_second"] = round(stats["messages"] / stats["seconds"]) if stats["seconds"] else None
    return stats


def _copy_text(v: str) -> str:
    if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
        return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return v


def load_raw(conn: "psycopg.Connection", dataset: Dataset, project_id: str, key_prefix: str | None = None) -> int:
    """Bulk-load the unique valid messages into raw.events (+ raw.event_keys) with COPY, as the API
    would store them: one row per messageId (the earliest received copy), received_at synthetic (true
    time + latency; days later for late events). Message ids already in raw.event_keys for the project are
    skipped. Returns the number of rows inserted into raw.events. Runs in one transaction (committed at
    the end, also on an autocommit connection). Phase timings of the last call: `load_raw.timings`."""
    first: dict[str, int] = {}
    for i, m in enumerate(dataset.messages):
        first.setdefault(m["messageId"], i)
    rec = dataset.received_ms
    months = sorted({iso(rec[i])[:7] for i in (min(first.values(), key=rec.__getitem__),
                                               max(first.values(), key=rec.__getitem__))})
    m0 = dt.date.fromisoformat(months[0] + "-01")
    m1 = dt.date.fromisoformat(months[-1] + "-01")
    n_months = (m1.year - m0.year) * 12 + m1.month - m0.month
    timings = {}
    t0 = time.perf_counter()
    with conn.transaction():
        conn.execute("SELECT raw.ensure_event_partitions(%s, %s)", (m0, n_months))
        pid = _copy_text(project_id)

        def write_keys(cp, with_project: bool):
            buf = []
            for mid, i in first.items():
                buf.append(f"{pid}\t{_copy_text(mid)}\t{iso(rec[i])}\n" if with_project
                           else f"{_copy_text(mid)}\t{iso(rec[i])}\n")
                if len(buf) >= 50_000:
                    cp.write("".join(buf))
                    buf = []
            cp.write("".join(buf))

        new: set[str] | None = None  # None: every message id is new
        try:  # fast path: nothing of this data set is there yet
            with conn.transaction():
                with conn.cursor().copy("COPY raw.event_keys (project_id, message_id, received_at) FROM STDIN") as cp:
                    write_keys(cp, True)
        except psycopg.errors.UniqueViolation:  # some were loaded before: keep only the new ones
            conn.execute("CREATE TEMP TABLE _gen_keys (message_id text, received_at timestamptz) ON COMMIT DROP")
            with conn.cursor().copy("COPY _gen_keys (message_id, received_at) FROM STDIN") as cp:
                write_keys(cp, False)
            new = {r[0] for r in conn.execute(
                "INSERT INTO raw.event_keys (project_id, message_id, received_at) "
                "SELECT %s, message_id, received_at FROM _gen_keys ON CONFLICT DO NOTHING RETURNING message_id",
                (project_id,))}
        timings["keys"] = time.perf_counter() - t0
        kp = _copy_text(key_prefix) if key_prefix else "\\N"
        n = 0
        cols = ", ".join(warehouse.RAW_EVENT_COLUMNS)
        dumps = orjson.dumps
        from psycopg.copy import QueuedLibpqWriter  # a thread sends while this one builds rows

        cur = conn.cursor()
        with cur.copy(f"COPY raw.events ({cols}) FROM STDIN", writer=QueuedLibpqWriter(cur)) as cp:
            buf = []
            for mid, i in first.items():
                if new is not None and mid not in new:
                    continue
                m = dataset.messages[i]
                ctx = m.get("context") or {}
                ev, anon, uid, prev = m.get("event"), m.get("anonymousId"), m.get("userId"), m.get("previousId")
                ip, ua = ctx.get("ip"), ctx.get("userAgent")
                payload = dumps(m).decode()
                if "\\" in payload:
                    payload = payload.replace("\\", "\\\\")
                buf.append("\t".join((
                    pid, _copy_text(mid), m["type"], _copy_text(ev) if ev else "\\N",
                    _copy_text(anon) if anon else "\\N", _copy_text(uid) if uid else "\\N",
                    _copy_text(prev) if prev else "\\N", m.get("timestamp") or m.get("originalTimestamp") or "\\N",
                    m.get("sentAt") or "\\N", iso(rec[i]), ip or "\\N", _copy_text(ua) if ua else "\\N", kp,
                    payload)) + "\n")
                n += 1
                if len(buf) >= 20_000:
                    cp.write("".join(buf))
                    buf = []
            cp.write("".join(buf))
        timings["events"] = time.perf_counter() - t0 - timings["keys"]
    load_raw.timings = timings  # type: ignore[attr-defined]
    return n


# --------------------------------------------------------------------------- command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Synthetic traffic of a web shop (visitors on several devices, campaigns, search/social/email/"
        "referral/direct, sign-ups, logins, a shared device, aliases, orders, bots, clock skew, retried "
        "duplicates, late and malformed events), deterministic for a seed, with ground truth written beside it.")
    parser.add_argument("--events", type=int, default=50_000, help="approximate number of messages (default 50000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--days", type=int, default=30, help="days of history (default 30)")
    parser.add_argument("--end", default=None, help="end of the simulated period, ISO 8601 (default today 00:00 UTC)")
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument("--out", metavar="FILE.jsonl", help="write one Segment message per line")
    out.add_argument("--post", metavar="URL", help="POST to URL/v1/batch in Segment's batch format (needs --key)")
    out.add_argument("--load-raw", action="store_true", help="COPY straight into raw.events (benchmarks; needs --project)")
    parser.add_argument("--key", help="write key for --post (HTTP Basic user name)")
    parser.add_argument("--batch-size", type=int, default=100, help="messages per request with --post (default 100)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight with --post (default 4)")
    parser.add_argument("--project", help="project id for --load-raw")
    parser.add_argument("--truth", metavar="FILE.json",
                        help="where to write the ground truth (default beside --out, else .touchline/truth-<seed>.json)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    if args.post and not args.key:
        print("touchline generate: --post needs --key WRITE_KEY", file=sys.stderr)
        return 2
    if args.load_raw and not args.project:
        print("touchline generate: --load-raw needs --project PROJECT_ID", file=sys.stderr)
        return 2
    if args.events < 1 or args.days < 1:
        print("touchline generate: --events and --days must be positive", file=sys.stderr)
        return 2
    try:
        end = parse_iso(args.end) if args.end else None
    except ValueError:
        print(f"touchline generate: --end {args.end!r} is not an ISO 8601 date or time", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    ds = generate(events=args.events, seed=args.seed, days=args.days, end=end)
    c = ds.truth["counts"]
    print(f"generated {c['messages']} messages ({c['human_events']} human events in {c['sessions']} sessions, "
          f"{c['bot_events']} bot events, {c['duplicate_copies']} duplicate copies, {c['late']} late, "
          f"{c['malformed']} malformed) in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    if args.truth:
        truth_path = Path(args.truth)
    elif args.out:
        o = Path(args.out)
        truth_path = o.with_name(o.name.removesuffix(".jsonl") + ".truth.json")
    else:
        from touchline.settings import get_settings

        truth_path = get_settings().home / f"truth-{args.seed}.json"
    if args.out:
        n = write_jsonl(ds, args.out)
        print(f"wrote {n} lines to {args.out}")
    elif args.post:
        stats = post_http(ds, args.post, args.key, args.batch_size, args.concurrency, progress=not args.no_progress)
        print(f"posted {stats['messages']} messages and {stats['malformed']} malformed items in {stats['requests']} "
              f"requests, {stats['seconds']}s ({stats['events_per_second']} events/s), {stats['retries']} retries, "
              f"{stats['failed_requests']} failed")
        for e in stats["errors"]:
            print(f"  {e}", file=sys.stderr)
        if stats["failed_requests"]:
            write_truth(ds, truth_path)
            return 1
    else:
        from touchline import db

        t1 = time.perf_counter()
        with db.connect() as conn:
            exists = conn.execute("SELECT 1 FROM ops.projects WHERE project_id = %s", (args.project,)).fetchone()
            if not exists:
                print(f"note: project {args.project!r} is not in ops.projects", file=sys.stderr)
            n = load_raw(conn, ds, args.project)
        print(f"loaded {n} rows into raw.events in {time.perf_counter() - t1:.1f}s")
    write_truth(ds, truth_path)
    print(f"ground truth: {truth_path}")
    return 0
