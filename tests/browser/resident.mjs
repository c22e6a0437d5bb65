// The subscription page for residents in a real headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core), checked with axe-core. Run by
// tests/api/residents/subscription.rs against a server with a confirmed subscription:
//
//   node tests/browser/resident.mjs --url http://127.0.0.1:PORT \
//        --subscription /api/v1/subscriptions/manage/mps_... --out target/browser
//
// As a resident on a phone would: open the link, read the areas, switch the page to
// English and back, change the language of the messages and a category with the keyboard,
// save, see the confirmation, and unsubscribe. Every page is checked with axe-core (no
// serious or critical WCAG 2.1 A/AA violation), for console errors, for requests to other
// hosts and for horizontal scrolling on a 360 px wide screen. Exits 1 with every failure.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

import { argument, phoneChecks } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const subscription = argument("subscription", "");
const out = argument("out", "target/browser");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const { context, page, check, audit, finish, brokenLink } = await phoneChecks(browser, base, out);
try {
  const response = await page.goto(`${base}${subscription}`, { waitUntil: "load" });
  check(response?.status() === 200, `the link answers 200 (${response?.status()})`);
  check((await page.getAttribute("html", "lang")) === "nl", "the page is in the subscription's language, Dutch");
  check((await page.locator("h1").innerText()) === "Uw buurtberichten", "the heading says what the page is");
  check((await page.locator("ul.areas li").allInnerTexts()).some((t) => t.startsWith("Buurt ")), "the areas are listed by name");
  await audit("subscription-nl");

  await page.getByRole("link", { name: "English" }).click();
  await page.waitForLoadState("load");
  check((await page.getAttribute("html", "lang")) === "en", "the language link switches the page to English");
  await audit("subscription-en");
  await page.getByRole("link", { name: "Nederlands" }).click();
  await page.waitForLoadState("load");

  // The keyboard only: the skip link first, then the form's controls.
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement?.classList.contains("skip")), "the first Tab reaches the skip link");
  await page.getByLabel("English", { exact: true }).check();
  const category = page.locator("fieldset#categories input[type=checkbox]").first();
  await category.focus();
  await page.keyboard.press("Space");
  check(await category.isChecked(), "a category is chosen with the keyboard");
  const save = page.getByRole("button", { name: "Wijzigingen opslaan" });
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), save.press("Enter")]);
  check((await page.locator("[role=status]").innerText()).includes("Your changes have been saved."), "saving says so, in the new language");
  check((await page.getAttribute("html", "lang")) === "en", "the page follows the new language");
  await audit("subscription-saved");

  await page.getByRole("button", { name: "Unsubscribe from neighbourhood announcements" }).click();
  await page.waitForLoadState("load");
  check((await page.locator("h1").innerText()).length > 0, "unsubscribing answers a page");
  await audit("subscription-ended");

  await brokenLink("/api/v1/subscriptions/manage/mps_not_a_link", "subscription-unknown-link");
  await context.close();
} finally {
  await browser.close();
}
finish();
