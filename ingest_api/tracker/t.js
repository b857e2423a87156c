/* touchline.js: first-party web tracker. Segment wire format to /v1/batch; no dependencies.
   <script async src="https://collect.example.com/t.js" data-key="sk_live_..."></script>
   Options (data- attributes), API and privacy notes: README "touchline.js". It never throws into the page. */
(function (w, d) {
  "use strict";
  var Q = w.touchline;
  if (Q && Q.loaded) return;
  var nav = navigator, loc = w.location, ls;
  try { ls = w.localStorage; ls.setItem("tl_t", "1"); ls.removeItem("tl_t"); } catch (e) { ls = null; }
  var el = d.currentScript || d.querySelector("script[data-key]") || {};
  function opt(n, def) { var v = el.getAttribute && el.getAttribute("data-" + n); return v == null ? def : v; }
  function on(n) { return opt(n, "true") !== "false"; }
  var src = el.src || "";
  var host = (opt("host", "") || src.replace(/\/[^\/]*$/, "") || loc.origin).replace(/\/$/, "");
  var key = opt("key", "");
  var BEAT = +opt("heartbeat-seconds", 15) * 1000, MAXQ = 200, MAXAGE = 7 * 864e5, MAXSTR = 1000, MAXEV = 30000, KEEP = 6e4;
  var gpcOff = opt("gpc", "false") === "true" && nav.globalPrivacyControl === true;
  var needConsent = opt("consent", "") === "required";
  var consented = !needConsent || get("tl_consent") === "1";
  var queue = [], pending = [], timer = 0, backoff = 0, sending = false;
  var anon, uid, pv, lastHref, ref = d.referrer, scrolled, engagedMs, activeAt = 0, beatAt = 0, beatTimer;

  function uuid() {
    if (w.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b); b[6] = b[6] & 15 | 64; b[8] = b[8] & 63 | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function get(k) { try { return ls && ls.getItem(k); } catch (e) { return null; } }
  function put(k, v) { try { if (ls) v == null ? ls.removeItem(k) : ls.setItem(k, v); } catch (e) { /* full */ } }
  function cookie(v) {
    var dom = opt("cookie-domain", ""), base = "tl_aid=" + (v || "") + "; path=/; SameSite=Lax" +
      (dom ? "; domain=" + dom : "") + (loc.protocol === "https:" ? "; Secure" : "");
    d.cookie = base + "; max-age=" + (v ? 63072000 : 0);
  }
  function readCookie() { var m = d.cookie.match(/(?:^|; )tl_aid=([^;]+)/); return m && m[1]; }
  function ids() {
    if (!consented) { anon = anon || uuid(); return; }  // in memory only until consent
    anon = readCookie() || get("tl_aid") || anon || uuid();
    cookie(anon); put("tl_aid", anon); uid = uid || get("tl_uid");
  }
  function trim(v, depth) {  // bounded strings and depth: the API's limits, never a rejected event
    if (typeof v === "string") return v.length > MAXSTR ? v.slice(0, MAXSTR) : v;
    if (typeof v === "bigint") return String(v);
    if (!v || typeof v !== "object" || v instanceof Date) return v;
    if (depth > 8) return null;
    var o = Array.isArray(v) ? [] : {}, n = 0;
    for (var k in v) if (Object.prototype.hasOwnProperty.call(v, k) && n++ < 100) o[trim(k, 9)] = trim(v[k], depth + 1);
    return o;
  }
  function params() {
    var c = {}, s = new URLSearchParams(loc.search);
    s.forEach(function (v, k) { if (/^utm_/.test(k)) c[k.slice(4) === "campaign" ? "name" : k.slice(4)] = v; });
    return c;
  }
  function pageCtx() {
    return { path: loc.pathname, referrer: ref, search: loc.search, title: d.title, url: loc.href };
  }
  function msg(type, f) {
    if (gpcOff) return;
    ids();
    var m = { type: type, messageId: uuid(), anonymousId: anon, timestamp: new Date().toISOString(),
      context: { library: { name: "touchline.js", version: "1.0.0" }, page: pageCtx(), userAgent: nav.userAgent,
        locale: nav.language, screen: { width: screen.width, height: screen.height },
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone, campaign: params() } };
    if (uid) m.userId = uid;
    for (var k in f) if (f[k] != null) m[k] = f[k];
    m = trim(m, 0);
    if (size(JSON.stringify(m)) > MAXEV) m.properties = m.traits = { trimmed: true };
    if (!consented) { pending.push(m); pending.splice(0, pending.length - MAXQ); return; }
    add(m);
  }
  function add(m) {
    queue.push(m); save();
    if (queue.length >= 10) flush(); else if (!timer) timer = setTimeout(flush, 5000);
  }
  function save() {
    var now = Date.now();
    queue = queue.filter(function (m) { return now - Date.parse(m.timestamp) < MAXAGE; }).slice(-MAXQ);
    if (consented) put("tl_q", JSON.stringify(queue));
  }
  function size(s) { return new Blob([s]).size; }  // UTF-8 bytes, as the API counts them
  function body(b) { return JSON.stringify({ batch: b, sentAt: new Date().toISOString(), writeKey: key }); }
  function flush() {
    clearTimeout(timer); timer = 0;
    if (sending || !queue.length || !key || nav.onLine === false) return;
    var b = queue.slice(0, 10), s = body(b); sending = true;
    fetch(host + "/v1/batch", { method: "POST", body: s, keepalive: size(s) < KEEP,
      headers: { "Content-Type": "text/plain" }, credentials: "omit" })
      .then(function (r) { if (r.status >= 500 || r.status === 429) throw 0; done(b, 0); },
        function () { done(b, 1); })
      .catch(function () { done(b, 1); });
  }
  function done(b, failed) {
    sending = false;
    if (failed) {  // keep them, retry later: 1, 2, 4 ... 60 s
      backoff = Math.min(backoff ? backoff * 2 : 1000, 60000);
      timer = setTimeout(flush, backoff); return;
    }
    backoff = 0;
    queue = queue.filter(function (m) { return b.indexOf(m) < 0; }); save();
    if (queue.length) flush();
  }
  function beacon() {
    if (!queue.length || !key || !nav.sendBeacon || nav.onLine === false) return;
    var b = queue.slice(0, 50);
    while (b.length > 1 && size(body(b)) > KEEP) b = b.slice(0, b.length >> 1);
    try {
      if (nav.sendBeacon(host + "/v1/batch", new Blob([body(b)], { type: "text/plain" }))) {
        queue = queue.slice(b.length); save();
      }
    } catch (e) { /* the queue keeps them for the next page */ }
  }

  // Page views, their engaged time (Snowplow's page pings) and scroll depth.
  function endPage() {
    if (!pv) return;
    if (activeAt >= beatAt) engagedMs += Math.min(Date.now() - beatAt, BEAT);  // the last, partial window
    track("Page Ended", { page_view_id: pv, engaged_seconds: Math.round(engagedMs / 1000), max_scroll_depth: scrolled });
    pv = null;
  }
  function page(name, props) {
    endPage();
    ref = lastHref || d.referrer;
    var id = uuid(), p = pageCtx();
    msg("page", { messageId: id, name: name, properties: Object.assign({}, p, props || {}) });
    pv = id; lastHref = loc.href; scrolled = 0; engagedMs = 0; beatAt = Date.now(); active();
  }
  function track(event, props) {
    msg("track", { event: String(event), properties: Object.assign(pv ? { page_view_id: pv } : {}, props || {}) });
  }
  function active() { activeAt = Date.now(); }
  function beat() {  // a window counts when the page was visible and the user active in it
    var now = Date.now(), was = beatAt; beatAt = now;
    if (pv && d.visibilityState === "visible" && activeAt >= was) {
      engagedMs += Math.min(now - was, BEAT);  // a sleeping laptop's late timer credits one window at most
      track("Page Ping", { engaged_seconds: Math.round(engagedMs / 1000), max_scroll_depth: scrolled });
    }
  }
  function scroll() {
    active();
    var h = d.documentElement, depth = (w.scrollY + w.innerHeight) / Math.max(h.scrollHeight, 1) * 100;
    [25, 50, 75, 90].forEach(function (t) {
      if (depth >= t && scrolled < t) { scrolled = t; if (on("scroll")) track("Page Scrolled", { depth: t }); }
    });
  }
  function spa() { if (loc.href !== lastHref && on("auto-page")) page(); }
  function click(e) {
    var a = e.target && e.target.closest && e.target.closest("a[href]");
    if (!a) return;
    var href = a.href, kind = /^tel:/i.test(href) ? "tel" : /^mailto:/i.test(href) ? "mailto" :
      /^https?:\/\/(wa\.me|api\.whatsapp\.com|web\.whatsapp\.com)\//i.test(href) || /^whatsapp:/i.test(href) ? "whatsapp" : "";
    if (kind && on("contact-links")) track("Contact Link Clicked", { kind: kind, href: href, text: (a.innerText || "").trim() });
    else if (!kind && a.host && a.host !== loc.host && /^https?:/.test(href) && on("outbound-links"))
      track("Outbound Link Clicked", { href: href, text: (a.innerText || "").trim() });
  }
  function submit(e) {  // the form, never its fields' values
    var f = e.target;
    if (f && f.tagName === "FORM" && on("forms"))
      track("Form Submitted", { form_id: f.id || null, form_name: f.getAttribute("name"), action: f.action });
  }

  function safe(f) { return function () { try { return f.apply(null, arguments); } catch (e) { /* never into the page */ } }; }
  var api = {
    loaded: true,
    page: safe(function (name, props) { page(name, props); }),
    track: safe(track),
    identify: safe(function (userId, traits) {
      if (userId != null) { uid = String(userId); if (consented) put("tl_uid", uid); }
      msg("identify", { traits: traits || {} });
    }),
    alias: safe(function (userId) {
      var prev = uid || anon;
      uid = String(userId); if (consented) put("tl_uid", uid);
      msg("alias", { previousId: prev, userId: uid });
    }),
    group: safe(function (groupId, traits) { msg("group", { groupId: String(groupId), traits: traits || {} }); }),
    reset: safe(function () { uid = null; anon = uuid(); put("tl_uid", null); if (consented) { cookie(anon); put("tl_aid", anon); } }),
    consent: safe(function (granted) {
      if (granted) {
        consented = true; put("tl_consent", "1"); ids();
        pending.splice(0).forEach(function (m) { m.anonymousId = anon; add(m); });
      } else {
        consented = false; pending = []; queue = [];
        ["tl_aid", "tl_uid", "tl_q", "tl_consent"].forEach(function (k) { put(k, null); }); cookie("");
      }
    }),
    flush: safe(flush)
  };

  safe(function () {
    try { queue = JSON.parse(get("tl_q") || "[]") || []; } catch (e) { queue = []; }
    w.touchline = api;
    if (on("auto-page")) page();
    (Array.isArray(Q) ? Q : []).forEach(function (c) { if (api[c[0]]) api[c[0]].apply(null, c.slice(1)); });
    ["pushState", "replaceState"].forEach(function (m) {
      var orig = history[m];
      history[m] = function () { var r = orig.apply(this, arguments); safe(spa)(); return r; };
    });
    w.addEventListener("popstate", safe(spa));
    w.addEventListener("hashchange", safe(spa));
    d.addEventListener("click", safe(click), true);
    d.addEventListener("submit", safe(submit), true);
    w.addEventListener("scroll", safe(scroll), { passive: true });
    ["mousemove", "mousedown", "keydown", "touchstart"].forEach(function (n) { w.addEventListener(n, active, { passive: true }); });
    if (on("heartbeat")) beatTimer = setInterval(safe(beat), BEAT);
    w.addEventListener("pagehide", safe(function () { if (on("page-end")) endPage(); beacon(); }));
    d.addEventListener("visibilitychange", safe(function () { if (d.visibilityState === "hidden") beacon(); }));
    w.addEventListener("online", safe(flush));
    if (queue.length) flush();
  })();
})(window, document);
