"""What the simulated web shop is made of: names, products, pages, devices and user agents, IP pools,
bots, referrers, traffic sources, campaigns and click ids; and the seeded random pickers that draw from them."""

from __future__ import annotations

import bisect
from random import Random

SITE = "https://www.northwind-outfitters.com"


def random_uuid(rng: Random) -> str:
    x = rng.getrandbits(128)
    h = f"{x:032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[x & 3]}{h[17:20]}-{h[20:]}"


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def random_token(rng: Random, n: int) -> str:
    return "".join(rng.choice(B64) for _ in range(n))


def weighted(rng: Random, items: list, cum: list[float]):
    return items[bisect.bisect(cum, rng.random() * cum[-1])]


def cumulative(weights) -> list[float]:
    out, s = [], 0.0
    for w in weights:
        s += w
        out.append(s)
    return out


FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Lucas",
    "Emma",
    "Noah",
    "Olivia",
    "Liam",
    "Ava",
    "Mateo",
    "Sofia",
    "Hugo",
    "Chloe",
    "Leon",
    "Mia",
    "Felix",
    "Lena",
    "Paul",
    "Camille",
    "Arjun",
    "Priya",
    "Kenji",
    "Yuki",
    "Ana",
    "Pedro",
    "Giulia",
    "Marco",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Martin",
    "Lee",
    "Clark",
    "Mueller",
    "Schmidt",
    "Schneider",
    "Dubois",
    "Bernard",
    "Moreau",
    "Rossi",
    "Russo",
    "Silva",
    "Santos",
    "Oliveira",
    "Sharma",
    "Patel",
    "Tanaka",
    "Sato",
    "Kowalski",
    "Novak",
    "Jensen",
    "Larsen",
    "Murphy",
]
MAIL = [
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "hotmail.com",
    "proton.me",
    "gmx.de",
    "orange.fr",
    "web.de",
    "acme-corp.com",
    "initech.io",
]

PRODUCTS = [
    ("alpine-2p-tent", "Alpine 2P Tent", 349.0),
    ("ridge-hiking-boots", "Ridge Hiking Boots", 179.0),
    ("summit-down-jacket", "Summit Down Jacket", 259.0),
    ("trail-runner-pack-20l", "Trail Runner Pack 20L", 89.0),
    ("basecamp-sleeping-bag", "Basecamp Sleeping Bag", 149.0),
    ("titanium-spork", "Titanium Spork", 12.5),
    ("headlamp-400", "Headlamp 400", 39.0),
    ("merino-base-layer", "Merino Base Layer", 79.0),
    ("rain-shell-pro", "Rain Shell Pro", 219.0),
    ("trekking-poles-carbon", "Carbon Trekking Poles", 129.0),
    ("camp-stove-mini", "Mini Camp Stove", 59.0),
    ("water-filter-squeeze", "Squeeze Water Filter", 35.0),
    ("insulated-bottle-1l", "Insulated Bottle 1L", 29.0),
    ("hammock-ultralight", "Ultralight Hammock", 69.0),
    ("wool-socks-3pack", "Wool Socks (3 pack)", 24.0),
    ("gps-watch-explorer", "Explorer GPS Watch", 399.0),
    ("climbing-harness", "Climbing Harness", 85.0),
    ("kids-rain-jacket", "Kids Rain Jacket", 55.0),
    ("solar-charger-21w", "Solar Charger 21W", 74.0),
    ("first-aid-kit", "First Aid Kit", 32.0),
]
BLOG = [
    "how-to-choose-a-tent",
    "best-hikes-in-the-alps",
    "layering-101",
    "leave-no-trace",
    "winter-camping-tips",
    "packing-list-weekend",
    "trail-running-for-beginners",
    "water-purification-guide",
    "boot-fitting-guide",
    "family-camping-checklist",
    "ultralight-backpacking",
    "navigation-without-phone",
]
STATIC = [
    ("/", "Northwind Outfitters — Gear for the outdoors", 10),
    ("/collections/tents", "Tents", 3),
    ("/collections/footwear", "Footwear", 3),
    ("/collections/jackets", "Jackets", 3),
    ("/collections/sale", "Sale", 2),
    ("/pricing", "Northwind Club membership", 1.5),
    ("/about", "About us", 0.6),
    ("/contact", "Contact", 0.4),
    ("/stores", "Store locator", 0.6),
    ("/help/shipping", "Shipping & returns", 0.8),
    ("/blog", "Journal", 1.2),
]
TRACK_BROWSE = [
    ("Product Viewed", 6),
    ("Products Searched", 2),
    ("Product List Viewed", 2),
    ("Video Played", 0.6),
    ("Button Clicked", 1.5),
    ("Newsletter Subscribed", 0.3),
    ("Wishlist Product Added", 0.6),
]
SEARCH_TERMS = ["tent", "boots", "down jacket", "sleeping bag", "headlamp", "rain jacket", "gps watch", "socks"]
CURRENCIES = {
    "US": "USD",
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "ES": "EUR",
    "IT": "EUR",
    "BR": "BRL",
    "IN": "INR",
    "JP": "JPY",
    "CA": "CAD",
    "AU": "AUD",
    "NL": "EUR",
}

# IP pools: (country, locale, timezone, utc offset hours, weight, v4 patterns, v6 patterns). Patterns are
# public ISP blocks; `{}` placeholders take random octets / hextets.
COUNTRIES = [
    (
        "US",
        "en-US",
        "America/New_York",
        -5,
        22,
        ["73.{}.{}.{}", "24.{}.{}.{}", "98.{}.{}.{}"],
        ["2600:1700:{:x}:{:x}::{:x}"],
    ),
    ("US", "en-US", "America/Chicago", -6, 8, ["71.{}.{}.{}", "99.{}.{}.{}"], ["2601:{:x}:{:x}:{:x}::{:x}"]),
    ("US", "en-US", "America/Los_Angeles", -8, 10, ["76.{}.{}.{}", "107.{}.{}.{}"], ["2600:1700:{:x}:{:x}::{:x}"]),
    ("CA", "en-CA", "America/Toronto", -5, 4, ["174.{}.{}.{}", "99.{}.{}.{}"], []),
    (
        "GB",
        "en-GB",
        "Europe/London",
        0,
        12,
        ["86.{}.{}.{}", "81.{}.{}.{}", "31.{}.{}.{}"],
        ["2a02:c7c:{:x}:{:x}::{:x}"],
    ),
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
COUNTRY_CUM = cumulative(c[4] for c in COUNTRIES)

UA = {
    "desktop": [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            14,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
            6,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
            5,
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", 3),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            7,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
            6,
        ),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0", 1.5),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 1.5),
        ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", 0.8),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            0.8,
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/109.0.0.0",
            0.6,
        ),
    ],
    "mobile": [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
            14,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
            4,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
            2,
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21E219 [FBAN/FBIOS;FBAV/460.0.0.38.108;FBBV/589069120]",
            1,
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
            12,
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
            3,
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
            2,
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
            2,
        ),
        ("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", 0.5),
        (
            "Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.118 Mobile Safari/537.36",
            1,
        ),
    ],
    "tablet": [
        (
            "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
            5,
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            2,
        ),
        (
            "Mozilla/5.0 (Linux; Android 11; Lenovo TB-J606F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
            1,
        ),
    ],
    "app": [
        ("NorthwindShop/3.4.1 (iPhone; iOS 17.4.1; Scale/3.00)", 3),
        ("NorthwindShop/3.4.0 (Android 14; Pixel 7) okhttp/4.12.0", 2),
    ],
}
UA_CUM = {k: (list(v), cumulative(w for _, w in v)) for k, v in UA.items()}
BOTS = [  # (user agent, ip patterns, weight)
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", ["66.249.{}.{}"], 5),
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.60 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ["66.249.{}.{}"],
        3,
    ),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", ["40.77.167.{}", "157.55.39.{}"], 3),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", ["54.36.148.{}", "5.39.1.{}"], 2),
    ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", ["185.191.171.{}"], 2),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", ["5.255.253.{}"], 1),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        ["20.171.207.{}"],
        1,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36",
        ["3.{}.{}.{}", "54.{}.{}.{}"],
        2,
    ),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", ["69.171.249.{}"], 1),
]
BOT_CUM = cumulative(b[2] for b in BOTS)

# Traffic sources of a session's landing page: (traffic, weight, referrer choices, utm/click-id recipe)
SEARCH_REF = [
    ("https://www.google.com/", 80),
    ("https://www.bing.com/", 12),
    ("https://duckduckgo.com/", 5),
    ("https://search.yahoo.com/", 3),
]
SOCIAL_REF = [
    ("https://l.facebook.com/", 30),
    ("https://m.facebook.com/", 10),
    ("https://t.co/", 20),
    ("https://www.linkedin.com/", 12),
    ("https://www.reddit.com/", 15),
    ("https://l.instagram.com/", 13),
]
REFERRAL_REF = [
    ("https://www.outdoorgearlab.com/reviews/camping-hiking/backpacking-tent", 5),
    ("https://www.rei.com/learn/expert-advice/backpacking-checklist.html", 2),
    ("https://news.ycombinator.com/", 1),
    ("https://www.wirecutter.com/reviews/best-tents/", 4),
    ("https://blog.trailjournals.com/gear-review", 2),
    ("https://www.alltrails.com/trail/us/utah", 3),
    ("https://de.wikipedia.org/wiki/Zelt", 1),
    ("https://www.switchbacktravel.com/best-hiking-boots", 3),
]
TRAFFIC = [
    ("direct", 27),
    ("organic_search", 22),
    ("paid_search", 10),
    ("organic_social", 8),
    ("paid_social", 8),
    ("email", 10),
    ("referral", 10),
    ("affiliate", 3),
    ("display", 2),
]
TRAFFIC_CUM = cumulative(w for _, w in TRAFFIC)
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
    return [x for x, _ in items], cumulative(w for _, w in items)


SEARCH, SOCIAL, REFERRAL = _norm(SEARCH_REF), _norm(SOCIAL_REF), _norm(REFERRAL_REF)
STATIC_PAGES = [(p, t) for p, t, _ in STATIC]
STATIC_CUM = cumulative(w for _, _, w in STATIC)
TRACK_NAMES, TRACK_CUM = _norm(TRACK_BROWSE)
HOURS_CUM = cumulative(
    [
        1,
        0.6,
        0.4,
        0.3,
        0.3,
        0.4,
        0.8,
        1.5,
        2.2,
        2.6,
        2.8,
        2.8,
        2.7,
        2.7,
        2.8,
        2.8,
        2.7,
        2.6,
        2.6,
        2.8,
        3.0,
        2.8,
        2.2,
        1.5,
    ]
)
NO_SOURCE = {
    "landing_path": None,
    "referrer_host": None,
    "utm_source": None,
    "utm_medium": None,
    "utm_campaign": None,
    "utm_term": None,
    "utm_content": None,
    "click_id_type": None,
    "click_id": None,
}
CLICK_IDS = ("gclid", "gbraid", "wbraid", "fbclid", "msclkid", "ttclid", "li_fat_id")
