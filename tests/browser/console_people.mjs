// The console's accounts and areas pages in a real headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core), checked with axe-core. Run by
// tests/api/console/config_people_browser.rs:
//
//   node tests/browser/console_people.mjs --url http://127.0.0.1:PORT --admin EMAIL \
//        --password PASSWORD --out target/browser
//
// An admin opens the accounts from the configuration navigation, adds a coordinator, is
// refused a too short password with the reason at the field, creates an API token for the
// new account (shown once), revokes it, then imports Heerlen's buurten on the areas page and
// finds the import in the log. Every page is checked with axe-core (no serious or critical
// WCAG 2.1 A/AA violation), for console errors and requests to other hosts, and the three
// pages at 360 px for sideways scrolling. Exits 1 with every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { argument, checks, logIn, watchedPage } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const out = argument("out", "target/browser");
const admin = argument("admin", "");
const password = argument("password", "");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
const buurten = fileURLToPath(new URL("../../data/seed/heerlen-buurten.geojson", import.meta.url));
mkdirSync(out, { recursive: true });

const { check, audit, submit, fits, phonePage, finish } = checks(out);

const logInAsAdmin = (page) => logIn(page, base, admin, password);

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const { context, page, errors, foreign } = await watchedPage(browser, base);
  await logInAsAdmin(page);
  await submit(page, "nav a[href='/console/config/rules']");
  await submit(page, ".subnav a[href='/console/config/accounts']");
  check(page.url().endsWith("/console/config/accounts"), `the configuration navigation leads to the accounts (${page.url()})`);
  check((await page.locator(".subnav a[aria-current='page']").innerText()).trim() === "Accounts en API-tokens", "the navigation marks the page");
  await audit(page, "console-config-accounts");

  // A too short password: the reason at the field, the rest kept.
  const before = errors.length;
  await page.fill("#email", "kcc@heerlen.example");
  await page.fill("#name", "Klantcontact");
  await page.selectOption("#role", "coordinator");
  await page.fill("#password", "kort");
  const refused = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("#form-account button[type='submit']")]);
  check(refused[0]?.status() === 422, "a too short password is refused");
  check(await page.locator(".error[role='alert'] a[href='#password']").isVisible(), "the reason links to the password field");
  check((await page.getAttribute("#password", "aria-describedby"))?.includes("password-error"), "the field is described by its reason");
  check((await page.inputValue("#email")) === "kcc@heerlen.example" && (await page.inputValue("#password")) === "", "the form keeps what was typed, not the password");
  check(errors.slice(before).every((e) => e.includes("422")), "the refusal's 422 is the only console error it causes");
  errors.length = before;
  await audit(page, "console-config-accounts-invalid");

  await page.fill("#password", password);
  await submit(page, "#form-account button[type='submit']");
  check(page.url().includes("done=created"), `adding goes to the account's page (${page.url()})`);
  await audit(page, "console-config-account");

  await page.fill("#label", "Open311-koppeling");
  await page.fill("#expires_in_days", "90");
  await submit(page, "#form-token button[type='submit']");
  const token = await page.inputValue("#new-token");
  check(token.length >= 32, "the new token is shown");
  check((await page.locator(".token-once h2").innerText()).includes("Kopieer het token nu"), "with the warning that it is shown once");
  await audit(page, "console-config-token");
  await page.goto(page.url(), { waitUntil: "load" });
  check(!(await page.content()).includes(token), "the account's page does not show the token again");

  await submit(page, "button[aria-label='Token intrekken: Open311-koppeling']");
  check(page.url().includes("done=revoked"), `revoking goes back with a message (${page.url()})`);
  check((await page.locator("table.people td").allInnerTexts()).some((t) => t.startsWith("ingetrokken")), "the token is listed as revoked");

  await submit(page, ".subnav a[href='/console/config/areas']");
  await audit(page, "console-config-areas");
  await page.selectOption("#level", "buurt");
  await page.fill("#year", "2025");
  await page.setInputFiles("#file", buurten);
  await submit(page, "#form-areas button[type='submit']");
  const result = (await page.locator("[role='status']").innerText()).replace(/\s+/g, " ");
  check(result.includes("Geïmporteerd") && result.includes("57"), `the import's result is shown (${result})`);
  check((await page.locator("table.people td.source").allInnerTexts()).includes("console: heerlen-buurten.geojson"), "the import is in the log");
  await audit(page, "console-config-areas-imported");

  check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
  check(foreign.length === 0, `nothing loaded from another host (${foreign.join(", ")})`);
  const account = new URL(page.url()).pathname;
  await context.close();

  const { phone, small } = await phonePage(browser);
  await logInAsAdmin(small);
  await small.goto(`${base}/console/config/accounts`, { waitUntil: "load" });
  const manage = await small.locator("table.people a").first().getAttribute("href");
  for (const [label, path] of [["accounts", "/console/config/accounts"], ["account", manage], ["areas", "/console/config/areas"]]) {
    await small.goto(`${base}${path}`, { waitUntil: "load" });
    await fits(small, `console-config-phone-${label}`);
    await audit(small, `console-config-phone-${label}`);
  }
  check(account.startsWith("/console/config/areas"), "the last page was the areas page");
  await phone.close();
} finally {
  await browser.close();
}
finish();
