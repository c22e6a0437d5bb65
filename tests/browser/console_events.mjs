// The console's event webhook pages in a real headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core), checked with axe-core. Run by
// tests/api/console/events_browser.rs:
//
//   node tests/browser/console_events.mjs --url http://127.0.0.1:PORT --admin EMAIL \
//        --password PASSWORD --out target/browser
//
// The server has one endpoint whose receiver is down, with a failing delivery. An admin
// opens the webhooks from the configuration navigation, opens the endpoint, finds the
// failing delivery with its reason, is refused a replay without a moment (the reason at the
// field), replays from an hour ago and pauses the endpoint. Every page is checked with
// axe-core (no serious or critical WCAG 2.1 A/AA violation), for console errors and requests
// to other hosts, and both pages at 360 px for sideways scrolling. Exits 1 with every
// failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

import { argument, checks, logIn, watchedPage } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const out = argument("out", "target/browser");
const admin = argument("admin", "");
const password = argument("password", "");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const { check, audit, submit, fits, phonePage, finish } = checks(out);

/** A `datetime-local` value in Dutch time, `minutes` from now. */
const dutchTime = (minutes) => {
  const at = new Date(Date.now() + minutes * 60000);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Amsterdam", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(at).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
};

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const { context, page, errors, foreign } = await watchedPage(browser, base);
  await logIn(page, base, admin, password);
  await submit(page, "nav a[href='/console/config/rules']");
  await submit(page, ".subnav a[href='/console/config/event-endpoints']");
  check(page.url().endsWith("/console/config/event-endpoints"), `the configuration navigation leads to the webhooks (${page.url()})`);
  check((await page.locator(".subnav a[aria-current='page']").innerText()).trim() === "Webhooks voor meldingen", "the navigation marks the page");
  await audit(page, "console-config-event-endpoints");

  await submit(page, "table.catalogue th[scope='row'] a");
  const endpoint = new URL(page.url()).pathname;
  check(endpoint.startsWith("/console/config/event-endpoints/"), `the endpoint's page opens (${endpoint})`);
  const cells = (await page.locator("table td").allInnerTexts()).join(" | ");
  check(cells.includes("mislukt, wordt opnieuw geprobeerd") && cells.includes("Het adres was niet bereikbaar"), `the failing delivery with its reason (${cells})`);
  check(await page.locator("table td span[lang='en']").first().isVisible(), "the API's own words are marked English");
  await audit(page, "console-config-event-endpoint");

  const before = errors.length;
  const refused = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("#form-replay button[type='submit']")]);
  check(refused[0]?.status() === 422, "a replay without a moment is refused");
  check(await page.locator(".error[role='alert'] a[href='#since']").isVisible(), "the reason links to the field");
  check((await page.getAttribute("#since", "aria-describedby"))?.includes("since-error"), "the field is described by its reason");
  check(errors.slice(before).every((e) => e.includes("422")), "the refusal's 422 is the only console error it causes");
  errors.length = before;
  await audit(page, "console-config-event-endpoint-invalid");

  await page.fill("#since", dutchTime(-60));
  await submit(page, "#form-replay button[type='submit']");
  const replayed = (await page.locator("[role='status']").innerText()).trim();
  check(page.url().includes("done=replayed") && replayed.includes("opnieuw in de wachtrij"), `the replay says how many (${replayed})`);
  await submit(page, "button[value='pause']");
  check((await page.locator("[role='status']").innerText()).includes("gepauzeerd"), "pausing says so");
  await audit(page, "console-config-event-endpoint-paused");

  check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
  check(foreign.length === 0, `nothing loaded from another host (${foreign.join(", ")})`);
  await context.close();

  const { phone, small } = await phonePage(browser);
  await logIn(small, base, admin, password);
  for (const [label, path] of [["event-endpoints", "/console/config/event-endpoints"], ["event-endpoint", endpoint]]) {
    await small.goto(`${base}${path}`, { waitUntil: "load" });
    await fits(small, `console-config-phone-${label}`);
    await audit(small, `console-config-phone-${label}`);
  }
  await phone.close();
} finally {
  await browser.close();
}
finish();
