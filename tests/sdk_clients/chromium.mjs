// Headless Chromium for the browser tests: Debian's /usr/bin/chromium (or $CHROMIUM) driven by
// puppeteer-core, nothing downloads a browser. A throwaway profile; a page that looks like a person's
// browser, its console, errors, failed requests and responses recorded in `log`.
import puppeteer from "puppeteer-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "touchline-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    ignoreDefaultArgs: ["--enable-automation"],
    userDataDir: profile,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--disable-blink-features=AutomationControlled"],
  });
  return { browser, cleanup: () => rmSync(profile, { recursive: true, force: true }) };
}

export async function openPage(browser, log) {
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
  return page;
}

// Closing the pages fires pagehide/unload: trackers flush what they hold (beacons).
export async function closeAll(browser) {
  for (const p of await browser.pages()) await p.close({ runBeforeUnload: true }).catch(() => {});
  await new Promise((r) => setTimeout(r, 500));
  await browser.close();
}

// A scripted visit: `steps(page, did)` drives one page and records in `did`; then the pages close (pagehide)
// and `did`, with the browser's `log`, is printed as one JSON line. Exit code 1 when a step failed.
export async function drive(steps) {
  const log = { console: [], errors: [], failed: [], responses: [] };
  const did = { log };
  const { browser, cleanup } = await launch();
  let code = 0;
  try {
    await steps(await openPage(browser, log), did);
  } catch (e) {
    log.errors.push(`driver: ${e}`);
    code = 1;
  }
  try {
    await closeAll(browser);
  } finally {
    cleanup();
    process.stdout.write(JSON.stringify(did) + "\n");
    process.exit(code);
  }
}
