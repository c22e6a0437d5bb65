// The report page for residents ("Your report", behind the follow link) in a real headless
// Chromium (Debian's /usr/bin/chromium driven by playwright-core), checked with axe-core.
// Run by tests/api/residents/report.rs against a server with a report filed with an email:
//
//   node tests/browser/report.mjs --url http://127.0.0.1:PORT \
//        --report /api/v1/follow/TOKEN --out target/browser
//
// As a resident on a phone would: open the link, read the status and the timeline, find the
// map with its text, switch to English and back, and stop the emails with the keyboard.
// Every page is checked with axe-core (no serious or critical WCAG 2.1 A/AA violation), for
// console errors, requests to other hosts and sideways scrolling at 360 px. Exits 1 with
// every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import path from "node:path";

import { argument, runAxe } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const report = argument("report", "");
const out = argument("out", "target/browser");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const failures = [];
const fail = (message) => { failures.push(message); console.log(`FAIL ${message}`); };
const pass = (message) => console.log(`ok   ${message}`);
const check = (condition, message) => (condition ? pass(message) : fail(message));

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  // A phone-sized screen. bypassCSP: the pages allow no scripts at all, and axe is injected.
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  page.on("pageerror", (error) => errors.push(String(error)));
  const foreign = [];
  page.on("request", (request) => { if (!request.url().startsWith(base)) foreign.push(request.url()); });

  const audit = async (label) => {
    const { serious } = await runAxe(page, label);
    check(serious.length === 0, `${label}: no serious or critical axe-core violation (${serious.map((v) => v.id).join(", ")})`);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    check(!wide, `${label}: fits a 360 px screen without scrolling sideways`);
    await page.screenshot({ path: path.join(out, `${label}.png`), fullPage: true });
  };

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
if (failures.length > 0) {
  console.log(`${failures.length} failure(s):\n${failures.join("\n")}`);
  process.exit(1);
}
