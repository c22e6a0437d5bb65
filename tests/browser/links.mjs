// The one-click pages behind the links in meldpunt's emails (confirm a subscription, answer
// a quick question, the satisfaction survey, confirm following a report, unsubscribe) in a
// real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core), checked
// with axe-core. Run by tests/api/residents/links.rs:
//
//   node tests/browser/links.mjs --url http://127.0.0.1:PORT --steps steps.json --out target/browser
//
// steps.json lists the links in order: {label, path, heading, button, done, choose?}. For
// each, as a resident on a phone would: open the link, read what it will do (the heading),
// optionally choose an answer, press the button with the keyboard, and read what happened
// (the heading of the next page). Every page is checked with axe-core (no serious or
// critical WCAG 2.1 A/AA violation), for sideways scrolling at 360 px, console errors and
// requests to other hosts. Exits 1 with every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";

import { argument, phoneChecks } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const steps = JSON.parse(readFileSync(argument("steps", "steps.json"), "utf8"));
const out = argument("out", "target/browser");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const { context, page, errors, foreign, check, audit, finish } = await phoneChecks(browser, base, out);
try {
  for (const step of steps) {
    const response = await page.goto(`${base}${step.path}`, { waitUntil: "load" });
    check(response?.status() === 200, `${step.label}: the link answers 200 (${response?.status()})`);
    check((await page.locator("h1").innerText()) === step.heading, `${step.label}: the heading says "${step.heading}"`);
    await audit(`link-${step.label}`);
    if (step.choose) {
      await page.getByLabel(step.choose, { exact: true }).check();
    }
    const button = page.getByRole("button", { name: step.button });
    await button.focus();
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
    check((await page.locator("h1").innerText()) === step.done, `${step.label}: the next page says "${step.done}"`);
    await audit(`link-${step.label}-done`);
  }
  check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
  check(foreign.length === 0, `nothing loaded from another host (${foreign.join(", ")})`);
  await context.close();
} finally {
  await browser.close();
}
finish();
