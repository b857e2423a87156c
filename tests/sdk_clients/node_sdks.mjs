// The server SDKs for Node, unchanged, against touchline: each sends identify, track, page, group and
// alias (where it has one) for user-RUN, waits until delivered, and exits non-zero on any delivery error.
//
//   node node_sdks.mjs SDK API_URL KEY RUN      SDK: segment | rudderstack | jitsu | jitsu-s2s | posthog
import { Analytics as SegmentAnalytics } from "@segment/analytics-node";
import RudderAnalytics from "@rudderstack/rudder-sdk-node";
import { jitsuAnalytics } from "@jitsu/js";
import { PostHog } from "posthog-node";

const [sdk, api, key, run] = process.argv.slice(2);
const user = `user-${run}`;
const errors = [];
const traits = { email: `ada-${run}@example.com`, plan: "pro" };
const order = { revenue: 42.5, currency: "EUR" };

async function segment() {
  const a = new SegmentAnalytics({ writeKey: key, host: api });
  a.on("error", (e) => errors.push(String(e?.reason ?? e?.code ?? e)));
  a.identify({ userId: user, traits });
  a.track({ userId: user, event: "Order Completed", properties: order });
  a.page({ userId: user, name: "Pricing", properties: { url: "https://shop.example/pricing" } });
  a.group({ userId: user, groupId: `acme-${run}`, traits: { name: "ACME" } });
  a.alias({ userId: user, previousId: `legacy-${run}` });
  await a.closeAndFlush({ timeout: 20000 });
}

async function rudderstack() {
  const a = new RudderAnalytics(key, { dataPlaneUrl: api, errorHandler: (e) => errors.push(String(e)) });
  a.identify({ userId: user, traits });
  a.track({ userId: user, event: "Order Completed", properties: order });
  a.page({ userId: user, name: "Pricing", properties: { url: "https://shop.example/pricing" } });
  a.group({ userId: user, groupId: `acme-${run}`, traits: { name: "ACME" } });
  a.alias({ userId: user, previousId: `legacy-${run}` });
  await a.flush();
}

async function jitsu(s2s) {
  // Jitsu's key:secret form: the touchline key cut after its display prefix.
  const options = { host: api, writeKey: `${key.slice(0, 12)}:${key.slice(12)}`, errorPolicy: (m) => errors.push(m) };
  const j = jitsuAnalytics(s2s ? { ...options, s2s: true } : options);
  await j.identify(user, traits);
  await j.track("Order Completed", order);
  await j.page("Pricing", { url: "https://shop.example/pricing" });
  await j.group(`acme-${run}`, { name: "ACME" });
}

async function posthog() {
  const p = new PostHog(key, { host: api, flushAt: 1, flushInterval: 0 });
  p.on("error", (e) => errors.push(String(e)));
  p.identify({ distinctId: user, properties: { $set: traits, $set_once: { first_plan: "free" } } });
  p.capture({ distinctId: user, event: "Order Completed", properties: order });
  p.capture({ distinctId: user, event: "$pageview", properties: { $current_url: "https://shop.example/pricing?utm_source=news" } });
  p.groupIdentify({ groupType: "company", groupKey: `acme-${run}`, properties: { name: "ACME" }, distinctId: user });
  p.alias({ distinctId: user, alias: `legacy-${run}` });
  const flag = await p.getFeatureFlag("new-checkout", user);
  if (flag !== undefined && flag !== false) errors.push(`unexpected flag ${flag}`);
  await p.shutdown(20000);
}

const runs = { segment, rudderstack, jitsu: () => jitsu(false), "jitsu-s2s": () => jitsu(true), posthog };
try {
  await runs[sdk]();
} catch (e) {
  errors.push(`${sdk}: ${e?.stack ?? e}`);
}
if (errors.length) {
  console.error(errors.join("\n"));
  process.exit(1);
}
console.log(`${sdk}: delivered`);
