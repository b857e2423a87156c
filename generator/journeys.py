"""The simulation, in true time: people own devices; each device has a stream of sessions (journeys
through the shop: landing from a traffic source, browsing, sign-up, login, orders, logout) and identity
follows what a site does (see the package docstring). `Simulation.run()` fills `sessions` and
`bot_sessions`; delivery (`generator.dataset`) and the ground truth (`generator.truth`) read them."""

from __future__ import annotations

import bisect
from random import Random

from generator.catalogue import (
    BLOG,
    BOT_CUM,
    BOTS,
    CAMPAIGNS,
    COUNTRIES,
    COUNTRY_CUM,
    CURRENCIES,
    FIRST,
    HOURS_CUM,
    LAST,
    MAIL,
    NO_SOURCE,
    PRODUCTS,
    REFERRAL,
    SEARCH,
    SEARCH_TERMS,
    SITE,
    SOCIAL,
    STATIC,
    STATIC_CUM,
    STATIC_PAGES,
    TRACK_CUM,
    TRACK_NAMES,
    TRAFFIC,
    TRAFFIC_CUM,
    UA_CUM,
    random_token,
    random_uuid,
    weighted,
)
from generator.clock import DAY, HOUR, MIN, SEC, iso

MIN_GAP = 3 * SEC  # between events of a session (latency noise is < 1 s)
MAX_GAP = 20 * MIN
MAX_SESSION = 2 * HOUR
SESSION_SPACING = 2 * HOUR + 50 * MIN  # between session starts on one device: > 45 min between sessions
LATE_MIN, LATE_MAX = int(1.1 * DAY), int(2.75 * DAY)  # late sessions: this long before the period's end


class Device:
    __slots__ = (
        "anon",
        "app_ctx",
        "country",
        "ip",
        "is_server",
        "kind",
        "library",
        "locale",
        "off",
        "shared",
        "skew",
        "stream",
        "tz",
        "ua",
        "uid",
        "will_login",
    )

    def __init__(self):
        self.uid: str | None = None
        self.shared = False
        self.will_login = True
        self.app_ctx = None
        self.is_server = False


class Person:
    __slots__ = (
        "alias_at",
        "created_at",
        "cur",
        "devices",
        "email",
        "first",
        "force_orders",
        "ids",
        "kind",
        "last",
        "order_p",
        "pid",
        "plan",
        "signed_up",
        "signup_at",
    )

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
    __slots__ = ("bot", "dev", "events", "info", "late", "person", "stream")

    def __init__(self, dev, person, bot=False):
        self.dev, self.person, self.bot = dev, person, bot
        self.stream = dev.anon or dev.uid
        self.events: list[tuple[int, dict]] = []
        self.info: dict | None = None
        self.late = False


class Simulation:
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
        c = country or weighted(rng, COUNTRIES, COUNTRY_CUM)
        d.country = c
        d.locale, d.tz, d.off = c[1], c[2], c[3]
        uas, cum = UA_CUM[kind]
        d.ua = weighted(rng, uas, cum)[0]
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
            d.anon = random_uuid(rng).upper()
            ios = "iPhone" in d.ua
            d.library = {
                "name": "analytics-ios" if ios else "analytics-android",
                "version": "4.1.8" if ios else "4.11.3",
            }
            d.app_ctx = (
                {"name": "NorthwindShop", "version": "3.4.1" if ios else "3.4.0", "build": "3410"},
                {
                    "type": "ios" if ios else "android",
                    "manufacturer": "Apple" if ios else "Google",
                    "model": "iPhone15,2" if ios else "Pixel 7",
                },
                {"name": "iOS" if ios else "Android", "version": "17.4.1" if ios else "14"},
            )
        else:
            d.anon = random_uuid(rng)
            d.library = {
                "name": "analytics.js",
                "version": rng.choice(("npm:next-1.70.0", "next-1.66.0", "next-1.70.0")),
            }
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
            local = bisect.bisect(HOURS_CUM, rng.random() * HOURS_CUM[-1]) * HOUR + rng.randrange(HOUR)
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
        return None

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
            msg = {
                "messageId": random_uuid(rng),
                "type": "track",
                "userId": uid,
                "event": name,
                "properties": props,
                "context": {"library": dev.library},
            }
            self.stamp(msg, t, 0)
            s.events.append((t, msg))
            s.info = dict(NO_SOURCE, traffic="server")
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
        traffic = weighted(rng, TRAFFIC, TRAFFIC_CUM)[0]
        if dev.uid and rng.random() < 0.4:
            traffic = "direct"
        utm: dict[str, str] = {}
        click = None
        referrer = ""
        if traffic == "organic_search":
            referrer = weighted(rng, *SEARCH)
        elif traffic == "paid_search":
            if rng.random() < 0.8:
                referrer = "https://www.google.com/"
                utm = {
                    "utm_source": "google",
                    "utm_medium": "cpc",
                    "utm_campaign": rng.choice(CAMPAIGNS["google_cpc"]),
                    "utm_term": rng.choice(SEARCH_TERMS),
                }
                r = rng.random()
                ctype = "gclid" if r < 0.85 or dev.kind != "mobile" else "gbraid" if r < 0.93 else "wbraid"
                click = (
                    ctype,
                    "Cj0KCQjw" + random_token(rng, 80) if ctype == "gclid" else "0AAAAA" + random_token(rng, 40),
                )
                if rng.random() < 0.25:
                    utm = {}  # auto-tagging only: gclid without UTMs
            else:
                referrer = "https://www.bing.com/"
                utm = {
                    "utm_source": "bing",
                    "utm_medium": "cpc",
                    "utm_campaign": rng.choice(CAMPAIGNS["bing_cpc"]),
                    "utm_term": rng.choice(SEARCH_TERMS),
                }
                click = ("msclkid", f"{rng.getrandbits(128):032x}")
        elif traffic == "organic_social":
            referrer = weighted(rng, *SOCIAL)
            if "facebook" in referrer and rng.random() < 0.5:
                click = ("fbclid", "IwAR" + random_token(rng, 56))
        elif traffic == "paid_social":
            net = rng.choice(("facebook", "facebook", "facebook", "instagram", "tiktok", "linkedin"))
            referrer = {
                "facebook": "https://l.facebook.com/",
                "instagram": "https://l.instagram.com/",
                "tiktok": "https://www.tiktok.com/",
                "linkedin": "https://www.linkedin.com/",
            }[net]
            utm = {
                "utm_source": net,
                "utm_medium": "paid_social",
                "utm_campaign": rng.choice(CAMPAIGNS[net]),
                "utm_content": rng.choice(("video_a", "carousel_b", "static_c")),
            }
            click = {
                "facebook": ("fbclid", "IwAR" + random_token(rng, 56)),
                "instagram": ("fbclid", "PAAa" + random_token(rng, 56)),
                "tiktok": ("ttclid", "E.C.P." + random_token(rng, 40)),
                "linkedin": ("li_fat_id", random_uuid(rng)),
            }[net]
        elif traffic == "email":
            referrer = "https://mail.google.com/" if rng.random() < 0.2 else ""
            utm = {
                "utm_source": "newsletter",
                "utm_medium": "email",
                "utm_campaign": rng.choice(CAMPAIGNS["newsletter"]),
                "utm_content": rng.choice(("hero", "footer", "product_grid")),
            }
        elif traffic == "referral":
            referrer = weighted(rng, *REFERRAL)
        elif traffic in ("affiliate", "display"):
            referrer = "https://www.outdoorgearlab.com/" if traffic == "affiliate" else "https://www.theguardian.com/"
            utm = {
                "utm_source": "outdoorgearlab" if traffic == "affiliate" else "google",
                "utm_medium": traffic,
                "utm_campaign": rng.choice(CAMPAIGNS[traffic]),
            }
        # landing page
        if utm or click:
            path, title = (
                rng.choice(((("/collections/sale", "Sale"),) * 2) + (("/", STATIC[0][1]),))
                if rng.random() < 0.5
                else self.product_page()
            )
        elif traffic == "organic_search" and rng.random() < 0.35:
            slug = rng.choice(BLOG)
            path, title = f"/blog/{slug}", slug.replace("-", " ").capitalize()
        else:
            path, title = weighted(rng, STATIC_PAGES, STATIC_CUM) if rng.random() < 0.6 else self.product_page()
        q = dict(utm)
        if click:
            q[click[0]] = click[1]
        search = ("?" + "&".join(f"{k}={v.replace(' ', '+')}" for k, v in q.items())) if q else ""
        campaign = None
        if utm and rng.random() < 0.7:  # as analytics.js parses it from the URL
            campaign = {k[4:] if k != "utm_campaign" else "name": v for k, v in utm.items()}
        s = self.s
        host = referrer.split("/")[2] if referrer else None
        s.info = {
            "landing_path": None if dev.kind == "app" else path,
            "referrer_host": host,
            "utm_source": utm.get("utm_source"),
            "utm_medium": utm.get("utm_medium"),
            "utm_campaign": utm.get("utm_campaign"),
            "utm_term": utm.get("utm_term"),
            "utm_content": utm.get("utm_content"),
            "click_id_type": click[0] if click else None,
            "click_id": click[1] if click else None,
        }
        if dev.kind == "app":
            s.info = dict(NO_SOURCE)
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
                path, title = weighted(rng, STATIC_PAGES, STATIC_CUM)
            elif r < 0.93:
                slug = rng.choice(BLOG)
                path, title = f"/blog/{slug}", slug.replace("-", " ").capitalize()
            else:
                term = rng.choice(SEARCH_TERMS)
                return self.view(dev, "/search", "Search results", "?q=" + term.replace(" ", "+"))
            return self.view(dev, path, title)
        name = weighted(rng, TRACK_NAMES, TRACK_CUM)
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
            traits = {
                "email": p.email,
                "name": f"{p.first} {p.last}",
                "first_name": p.first,
                "last_name": p.last,
                "plan": p.plan,
                "created_at": iso(p.created_at),
            }
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
                    self.track(
                        dev,
                        "Order Completed",
                        {
                            "order_id": f"NW-{self.seed % 1000:03d}-{self.orders:07d}",
                            "revenue": revenue,
                            "total": round(revenue * 1.08 + 4.95, 2),
                            "tax": round(revenue * 0.08, 2),
                            "shipping": 4.95,
                            "currency": currency,
                            "products": [
                                {"product_id": s_, "name": n_, "price": pr, "quantity": 1} for s_, n_, pr in items
                            ],
                        },
                    )
            return True
        raise ValueError(act)

    def emit(self, dev: Device, typ: str, extra: dict, page: dict | None, campaign=None):
        msg = {
            "messageId": ("ajs-next-" + f"{self.rng.getrandbits(128):032x}")
            if dev.kind != "app"
            else random_uuid(self.rng).upper(),
            "type": typ,
            "anonymousId": dev.anon,
        }
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
        ua, ips, _ = weighted(rng, BOTS, BOT_CUM)
        d = Device()
        d.kind, d.anon, d.ua, d.skew = "bot", random_uuid(rng), ua, 0
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
                path, title = weighted(rng, STATIC_PAGES, STATIC_CUM)
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
        plan = [
            (at(0.10), phone, p),
            (at(0.20), desk, p),
            (at(0.30), desk, p),
            (at(0.55), phone, p),
            (at(0.80), desk, p),
        ]
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
            if (
                s.dev.kind in ("mobile", "app")
                and not s.late
                and self.end - LATE_MAX <= s.events[0][0]
                and s.events[-1][0] <= self.end - LATE_MIN
                and rng.random() < 0.15
            ):
                s.late = True
