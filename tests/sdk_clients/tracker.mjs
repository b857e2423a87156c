// A visit with touchline.js in headless Chromium (pages/touchline.html: consent required, 1 s heartbeat),
// step by step as a person would, then leaving the page. Prints one JSON line: what the browser did and
// saw (times in the page's clock, ms), for tests/ingest_api/test_tracker_browser.py to check against what
// landed in raw.events and what marts.page_views says.
//
//   node tracker.mjs URL
import { drive } from "./chromium.mjs";

const [url] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await drive(async (page, did) => {
  did.marks = {};
  const batches = [];  // requests the tracker made to /v1/batch, with the page's time
  page.on("request", (r) => { if (r.url().endsWith("/v1/batch")) batches.push(Date.now()); });
  const mark = async (name) => { did.marks[name] = await page.evaluate(() => Date.now()); };
  async function active(ms) {  // a person reading: the mouse moves every 200 ms
    for (let t = 0; t < ms; t += 200) { await page.mouse.move(100 + (t % 400), 200); await sleep(200); }
  }

  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  await page.waitForFunction("window.trackerLoaded === true && window.touchline && window.touchline.loaded === true");
  await mark("loaded");
  // 1. consent withheld: nothing sent, nothing stored
  await active(2000);
  did.before_consent = await page.evaluate(() => ({
    cookie: document.cookie, storage: Object.keys(localStorage), requests: 0 }));
  did.before_consent.requests = batches.length;
  await page.evaluate(() => touchline.consent(true));
  await mark("consented");
  // 2. reading and scrolling a little past half of the page; a tel: link; the form
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight * 0.4));
  await active(2500);
  await page.click("#tel");
  await page.click("#send");
  // odd input from the host page: a cycle, a huge string, a BigInt; the page must not see an error
  did.odd_input_threw = await page.evaluate(() => {
    const o = { n: 10n, big: "x".repeat(50000) }; o.self = o;
    try { touchline.track("Odd Input", o); return false; } catch (e) { return String(e); }
  });
  await active(1000);
  // 3. SPA navigation: a second page view; the first one ends
  await mark("navigated");
  await page.evaluate(() => history.pushState({}, "", "/pages/pricing?plan=pro"));
  await active(1500);
  // 4. offline: events wait in the bounded queue, then go when the browser is back online
  await page.setOfflineMode(true);
  await mark("offline");
  const sentBefore = batches.length;
  await page.evaluate(() => touchline.track("Offline Event", { n: 1 }));
  await active(2500);
  did.offline_queue = await page.evaluate(() => JSON.parse(localStorage.getItem("tl_q") || "[]").length);
  did.offline_requests = batches.length - sentBefore;
  await page.setOfflineMode(false);
  await mark("online");
  await page.waitForFunction(() => JSON.parse(localStorage.getItem("tl_q") || "[]").length === 0, { timeout: 40000 });
  await mark("drained");
  did.storage = await page.evaluate(() => Object.keys(localStorage).sort());
  did.cookie = await page.evaluate(() => document.cookie);
  // 5. leaving: pagehide sends the last page view's end by beacon
  await mark("left");
});
