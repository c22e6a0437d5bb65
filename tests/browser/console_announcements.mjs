// The console's announcement pages in a real headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core), checked with axe-core. Run by
// tests/api/console/announcements_browser.rs against a server with a coordinator and
// confirmed subscriptions in two buurten:
//
//   node tests/browser/console_announcements.mjs --url http://127.0.0.1:PORT \
//        --coordinator EMAIL --password PASSWORD --buurten BU1,BU2 --out target/browser
//
// The coordinator logs in, opens the announcements, writes one with a quick question,
// picks two buurten by clicking them on the map, updates the map, saves the draft, sees
// the email preview and the reach, publishes, and sees the delivery counts. Every page is
// checked with axe-core (no serious or critical violation), for console errors and for
// requests to other hosts. Exits 1 with every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

import { argument, checks, watchedPage } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const out = argument("out", "target/browser");
const coordinator = argument("coordinator", "");
const password = argument("password", "");
const buurten = argument("buurten", "").split(",");
const expectedReach = argument("reach", "2");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const { check, audit, submit, finish } = checks(out);

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const { context, page, errors, foreign } = await watchedPage(browser, base);

  await page.goto(`${base}/console/login?next=/console/announcements`, { waitUntil: "load" });
  await page.fill("#email", coordinator);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
  check(new URL(page.url()).pathname === "/console/announcements", `the login comes back to the announcements (${page.url()})`);
  check(await page.locator("nav a[href='/console/announcements']").count() === 1, "the navigation links the announcements");
  await audit(page, "console-announcement-list");

  await submit(page, "a[href='/console/announcements/new']");
  await page.fill("#title", "Werkzaamheden Akerstraat");
  await page.fill("#body", "Van 1 tot 5 december is de Akerstraat afgesloten.");
  await page.fill("#tags", "roadworks");
  await page.fill("#question", "Welke speeltoestellen wilt u?");
  await page.fill("#options", "Schommel\nKlimrek\nZandbak");
  for (const code of buurten) {
    await page.locator(`.picker-map path[data-code='${code}']`).dispatchEvent("click");
    check(await page.isChecked(`#area-${code}`), `clicking ${code} on the map ticks its check box`);
  }
  await submit(page, "button[value='map']");
  const lit = await page.locator(".picker-map path.chosen").evaluateAll((paths) => paths.map((p) => p.getAttribute("data-code")));
  check(buurten.every((code) => lit.includes(code)) && lit.length === buurten.length, `after "update map" the map shows the two buurten (${lit.join(", ")})`);
  check((await page.inputValue("#title")) === "Werkzaamheden Akerstraat", "the typed text stays");
  await audit(page, "console-announcement-new");

  await submit(page, "button[value='save']");
  check(/\/console\/announcements\/[0-9a-f-]{36}\?done=saved$/.test(page.url()), `saving goes to the draft (${page.url()})`);
  check((await page.locator(".notice").innerText()).includes("opgeslagen"), "a message says the draft was saved");
  const reach = (await page.locator(".reach-count").innerText()).trim();
  check(reach === expectedReach, `the reach before publishing: ${reach}`);
  const preview = await page.locator("pre.email").first().innerText();
  check(preview.includes("Werkzaamheden Akerstraat") && preview.includes("Korte vraag: Welke speeltoestellen wilt u?"), "the email preview with the question");
  await audit(page, "console-announcement-preview");

  await submit(page, "button[value='publish']");
  check(page.url().endsWith("?done=published"), `publishing comes back with a message (${page.url()})`);
  let sent = "";
  for (let i = 0; i < 40; i++) {
    sent = await page.locator("table.deliveries").innerText().catch(() => "");
    if (sent.includes("sent")) break;
    await page.waitForTimeout(250);
    await page.reload({ waitUntil: "load" });
  }
  check(sent.includes("email") && sent.includes("sent"), `the delivery counts show the sent emails (${sent.replace(/\s+/g, " ")})`);
  check((await page.locator("table.results").count()) === 1, "the per-buurt results of the question");
  await audit(page, "console-announcement-published");

  check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
  check(foreign.length === 0, `nothing loaded from another host (${foreign.join(", ")})`);
  await context.close();
} finally {
  await browser.close();
}
finish();
