// Opens one page in headless Chromium (chromium.mjs) and keeps it open until a line arrives on stdin (the
// test has seen the events land) or MAX_MS passes. Prints one JSON line: the page's console messages, page
// errors and failed requests, for the test to show when something is missing.
//
//   node browser.mjs URL [MAX_MS]
import { closeAll, launch, openPage } from "./chromium.mjs";

const [url, maxMs = "60000"] = process.argv.slice(2);
const log = { console: [], errors: [], failed: [], responses: [] };
const { browser, cleanup } = await launch();
let closing = false;
async function finish(code) {
  if (closing) return;
  closing = true;
  try {
    await closeAll(browser);
  } finally {
    cleanup();
    process.stdout.write(JSON.stringify(log) + "\n");
    process.exit(code);
  }
}
const timer = setTimeout(() => finish(0), Number(maxMs));
process.stdin.on("data", () => { clearTimeout(timer); finish(0); });
process.stdin.on("end", () => { clearTimeout(timer); finish(0); });
try {
  const page = await openPage(browser, log);
  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  process.stderr.write("loaded\n");
} catch (e) {
  log.errors.push(`driver: ${e}`);
  clearTimeout(timer);
  await finish(1);
}
