// Opens one page in headless Chromium (Debian's /usr/bin/chromium, driven by puppeteer-core; nothing
// downloads a browser) and keeps it open until a line arrives on stdin (the test has seen the events
// land) or MAX_MS passes. Prints one JSON line: the page's console messages, page errors and failed
// requests, for the test to show when something is missing.
//
//   node browser.mjs URL [MAX_MS]
import puppeteer from "puppeteer-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, maxMs = "60000"] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "touchline-chromium-"));
const log = { console: [], errors: [], failed: [], responses: [] };
const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  ignoreDefaultArgs: ["--enable-automation"],
  userDataDir: profile,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--disable-blink-features=AutomationControlled"],
});
let closing = false;
async function finish(code) {
  if (closing) return;
  closing = true;
  try {
    // Closing the page fires pagehide/unload: SDKs flush what they hold (beacons).
    for (const p of await browser.pages()) await p.close({ runBeforeUnload: true }).catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
    await browser.close();
  } finally {
    rmSync(profile, { recursive: true, force: true });
    process.stdout.write(JSON.stringify(log) + "\n");
    process.exit(code);
  }
}
const timer = setTimeout(() => finish(0), Number(maxMs));
process.stdin.on("data", () => { clearTimeout(timer); finish(0); });
process.stdin.on("end", () => { clearTimeout(timer); finish(0); });
try {
  const page = await browser.newPage();
  // A person's browser, not an automated "HeadlessChrome": posthog-js drops the events of what looks like
  // a bot (user agent, its client hints' brands, navigator.webdriver).
  const major = (await browser.version()).split("/")[1].split(".")[0];
  await page.setUserAgent((await browser.userAgent()).replace("HeadlessChrome", "Chrome"), {
    brands: [{ brand: "Chromium", version: major }, { brand: "Not_A Brand", version: "24" }],
    fullVersion: (await browser.version()).split("/")[1], platform: "Linux", platformVersion: "",
    architecture: "x86", model: "", mobile: false,
  });
  page.on("console", (m) => log.console.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.errors.push(String(e)));
  page.on("requestfailed", (r) => log.failed.push(`${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => log.responses.push(`${r.request().method()} ${r.url()} ${r.status()}`));
  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  process.stderr.write("loaded\n");
} catch (e) {
  log.errors.push(`driver: ${e}`);
  clearTimeout(timer);
  await finish(1);
}
