// The report page of a resolved report, the satisfaction survey behind its links and the
// request to reopen, in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), checked with axe-core. Run by tests/api/residents/report.rs against a
// server with a report filed with an email and resolved by staff:
//
//   node tests/browser/resolved.mjs --url http://127.0.0.1:PORT \
//        --report /api/v1/follow/TOKEN --unknown /api/v1/follow/NONSENSE --out target/browser
//
// As a resident on a phone would: open the link, read that the report is resolved and why,
// follow "Ja" under "Is het probleem opgelost?", choose a standard answer, write a remark and
// send it with the keyboard; back on the report, ask to reopen it with a text; then open a
// link that does not work. Every page is checked with axe-core (no serious or critical WCAG
// 2.1 A/AA violation), for console errors, requests to other hosts and sideways scrolling
// at 360 px. Exits 1 with every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

import { argument, phoneChecks } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const report = argument("report", "");
const unknown = argument("unknown", "/api/v1/follow/nonsense");
const out = argument("out", "target/browser");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const heading = async (page) => (await page.locator("h1").innerText()).trim();

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const { context, page, check, audit, finish, brokenLink } = await phoneChecks(browser, base, out);
try {
  const response = await page.goto(`${base}${report}`, { waitUntil: "load" });
  check(response?.status() === 200, `the link answers 200 (${response?.status()})`);
  check((await page.locator(".facts strong").innerText()) === "Afgehandeld", "the status in words: resolved");
  check((await page.locator("ol.timeline").innerText()).includes("De lamp is vervangen."), "the timeline has the resolution's text");
  check((await page.getByRole("heading", { name: "Is het probleem opgelost?" }).count()) === 1, "the survey's question is on the page");
  check((await page.getByRole("button", { name: "Vraag om heropenen" }).count()) === 1, "the form to ask to reopen is on the page");
  await audit("resolved-nl");

  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("link", { name: "Ja", exact: true }).click()]);
  check((await heading(page)) === "Is het probleem opgelost?", "the survey's link shows the question");
  check(await page.getByLabel("Ja", { exact: true }).isChecked(), "the side tapped in the email is chosen");
  await audit("resolved-survey");
  await page.getByLabel("Snel opgelost", { exact: true }).check();
  await page.getByLabel("Toelichting (niet verplicht, hoogstens 1.000 tekens)").fill("Binnen een dag, dank u.");
  const send = page.getByRole("button", { name: "Antwoord versturen" });
  await send.focus();
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
  check((await heading(page)) === "Bedankt voor uw antwoord", "sending the answer says it was received");
  await audit("resolved-survey-answered");

  await page.goto(`${base}${report}`, { waitUntil: "load" });
  check((await page.getByRole("heading", { name: "Is het probleem opgelost?" }).count()) === 0, "an answered survey is not asked again");
  await page.getByLabel("Wat is er nog aan de hand? (mag leeg blijven)").fill("Hij knippert weer, elke avond.");
  const ask = page.getByRole("button", { name: "Vraag om heropenen" });
  await ask.focus();
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
  check((await heading(page)) === "Uw vraag is ontvangen", "asking to reopen says the question was received");
  await audit("resolved-reopen-asked");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("link", { name: "Terug naar uw melding" }).click()]);
  check((await page.locator(".facts strong").innerText()).startsWith("U vroeg om heropenen"), "the status says a request waits");
  check((await page.getByRole("button", { name: "Vraag om heropenen" }).count()) === 0, "no second request while one waits");
  await audit("resolved-reopen-waiting");

  await brokenLink(unknown, "resolved-unknown-link");
  await context.close();
} finally {
  await browser.close();
}
finish();
