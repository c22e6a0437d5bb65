// The console's single sign-on in a real headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core), against the test OpenID Connect provider
// (tests/api/support/oidc_provider.mjs), checked with axe-core. Run by
// tests/api/console/sso_browser.rs:
//
//   node tests/browser/console_sso.mjs --url http://127.0.0.1:PORT --issuer http://127.0.0.1:PORT2 \
//        --reference REF --out target/browser
//
// A coordinator opens the console, chooses "Inloggen met uw gemeente-account", is sent to
// the provider (which approves at once) and back, lands in the queue with a session, finds
// the report by its reference, and logs out through the provider's end session endpoint
// back to the login page. Every console page is checked with axe-core (no serious or
// critical WCAG 2.1 A/AA violation), for console errors, and for requests to hosts other
// than meldpunt and the provider. Exits 1 with every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

import { argument, checks, watchedPage } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const issuer = argument("issuer", "");
const reference = argument("reference", "");
const out = argument("out", "target/browser");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const { check, audit, finish } = checks(out);
const heading = async (page) => (await page.locator("h1").innerText()).trim();

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const { context, page, errors, foreign } = await watchedPage(browser, base);
  await page.goto(`${base}/console`, { waitUntil: "load" });
  check(page.url().includes("/console/login"), `without a session the console asks to log in (${page.url()})`);
  const sso = page.getByRole("link", { name: "Inloggen met uw gemeente-account (single sign-on)" });
  check((await sso.count()) === 1, "the login page offers single sign-on");
  await audit(page, "console-sso-login");

  await Promise.all([page.waitForURL(`${base}/console`, { waitUntil: "load" }), sso.click()]);
  check(new URL(page.url()).pathname === "/console", `after the provider the browser is back in the console (${page.url()})`);
  check((await heading(page)).startsWith("Werkvoorraad"), `the queue opens with a session (${await heading(page)})`);
  const cookies = await context.cookies(base);
  const session = cookies.find((c) => c.name === "meldpunt_session");
  check(session?.httpOnly === true && session?.secure === true && session?.sameSite === "Lax", "the session cookie is HttpOnly, Secure and SameSite=Lax");
  check(!cookies.some((c) => c.name === "meldpunt_sso" && c.value !== ""), "the login cookie is gone");
  await audit(page, "console-sso-queue");

  await page.fill("#q", reference);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
  check((await heading(page)).includes(reference), `searching the reference opens the report (${await heading(page)})`);
  await audit(page, "console-sso-report");

  const hint = (await context.cookies(`${base}/console/logout`)).find((c) => c.name === "meldpunt_sso_hint");
  check(hint?.httpOnly === true && hint?.path === "/console/logout", "the ID token is kept for the logout, HttpOnly and sent to the logout only");
  // Logging out goes through the provider's end session endpoint and back to the login page.
  await Promise.all([page.waitForURL(`${base}/console/login`, { waitUntil: "load" }), page.getByRole("button", { name: "Uitloggen" }).click()]);
  check(new URL(page.url()).pathname === "/console/login", `after the provider's logout the browser is at the login page (${page.url()})`);
  const left = await context.cookies(base + "/console/logout");
  check(!left.some((c) => (c.name === "meldpunt_session" || c.name === "meldpunt_sso_hint") && c.value !== ""), "the session and hint cookies are gone");
  const after = await page.goto(`${base}/console`, { waitUntil: "load" });
  check(page.url().includes("/console/login") && after?.status() === 200, "after logging out the console asks to log in again");

  const elsewhere = foreign.filter((url) => !url.startsWith(issuer));
  check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
  check(elsewhere.length === 0, `nothing loaded from hosts other than meldpunt and the provider (${elsewhere.join(", ")})`);
  await context.close();
} finally {
  await browser.close();
}
finish();
