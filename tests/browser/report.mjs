// The report page for residents ("Your report", behind the follow link) in a real headless
// Chromium (Debian's /usr/bin/chromium driven by playwright-core), checked with axe-core.
// Run by tests/api/residents/report.rs against a server with a report filed with an email:
//
//   node tests/browser/report.mjs --url http://127.0.0.1:PORT \
//        --report /api/v1/follow/TOKEN --photo PATH.png --out target/browser
//
// As a resident on a phone would: open the link, read the status and the timeline, find the
// map with its text, switch to English and back, add a remark and a photo, and stop the
// emails with the keyboard.
// Every page is checked with axe-core (no serious or critical WCAG 2.1 A/AA violation), for
// console errors, requests to other hosts and sideways scrolling at 360 px. Exits 1 with
// every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

import { argument, phoneChecks } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const report = argument("report", "");
const photo = argument("photo", "");
const out = argument("out", "target/browser");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const { context, page, errors, foreign, check, audit, finish } = await phoneChecks(browser, base, out);
try {
  const response = await page.goto(`${base}${report}`, { waitUntil: "load" });
  check(response?.status() === 200, `the link answers 200 (${response?.status()})`);
  check((await page.getAttribute("html", "lang")) === "nl", "the page is in the report's language, Dutch");
  check((await page.locator("h1").innerText()) === "Uw melding", "the heading says what the page is");
  check((await page.locator(".facts strong").innerText()) === "Ontvangen", "the status in words");
  check((await page.locator("ol.timeline li").count()) >= 1, "the timeline has the report's first step");
  const map = page.getByRole("img", { name: /^Kaart van / });
  check((await map.count()) === 1, "the map is an image with a text alternative");
  await audit("report-nl");

  await page.getByRole("link", { name: "English" }).click();
  await page.waitForLoadState("load");
  check((await page.locator("h1").innerText()) === "Your report", "the language link switches the page to English");
  await audit("report-en");
  await page.getByRole("link", { name: "Nederlands" }).click();
  await page.waitForLoadState("load");

  await page.getByLabel("Uw opmerking (hoogstens 1.000 tekens)").fill("De lamp knippert nu ook overdag.");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("button", { name: "Opmerking versturen" }).click()]);
  check((await page.locator("h1").innerText()) === "Uw opmerking is toegevoegd", "adding a remark says it was added");
  await audit("report-remark-added");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("link", { name: "Terug naar uw melding" }).click()]);

  await page.getByLabel("Foto's (JPEG, PNG of WebP)").setInputFiles(photo);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("button", { name: "Foto toevoegen" }).click()]);
  check((await page.locator("h1").innerText()) === "Uw foto is toegevoegd", "adding a photo says it was added");
  await audit("report-photo-added");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("link", { name: "Terug naar uw melding" }).click()]);
  check((await page.locator("ul.photos img").count()) === 1, "the report shows the added photo");
  await audit("report-with-photo");

  const stop = page.getByRole("button", { name: "Geen e-mails meer, wis mijn gegevens" });
  await stop.focus();
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
  check((await page.locator("h1").innerText()) === "Uw gegevens zijn gewist", "stopping the emails says the details were erased");
  await audit("report-stopped");

  check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
  check(foreign.length === 0, `nothing loaded from another host (${foreign.join(", ")})`);
  await context.close();
} finally {
  await browser.close();
}
finish();
