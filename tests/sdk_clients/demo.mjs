// The demo page of `touchline dev` (/demo) in headless Chromium: paste a key, accept consent, press
// track(); prints one JSON line with the page's log panel once it shows the API's answer.
//
//   node demo.mjs API_URL KEY
import { drive } from "./chromium.mjs";

const [api, key] = process.argv.slice(2);
await drive(async (page, did) => {
  await page.goto(`${api}/demo`, { waitUntil: "load", timeout: 30000 });
  await page.type("#key-form input[name=key]", key);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("#key-form button")]);
  await page.waitForFunction("window.touchline && window.touchline.loaded === true");
  await page.evaluate(() => { touchline.consent(true); touchline.track("Demo Button Clicked"); touchline.flush(); });
  await page.waitForFunction(() => document.getElementById("log").textContent.includes("-> 200"), { timeout: 30000 });
  did.panel = await page.evaluate(() => document.getElementById("log").textContent);
  did.state = await page.evaluate(() => document.getElementById("state").textContent);
});
