// The staff console in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), checked with axe-core. Run by tests/api/console/browser.rs against a
// server with a coordinator, a member of another department, a report and a duplicate:
//
//   node tests/browser/console.mjs --url http://127.0.0.1:PORT --coordinator EMAIL \
//        --department EMAIL --password PASSWORD --reference REF --duplicate REF \
//        --report-id ID --out target/browser
//
// The coordinator logs in with a password, finds the report in the queue by its reference,
// opens it, merges the duplicate into it, resolves it with a text, switches language and
// logs out; the member of another department does not see the report. Every page is
// checked with axe-core (no serious or critical WCAG 2.1 A/AA violation), for console
// errors and requests to other hosts; the queue and the report also at 360 px for
// sideways scrolling. Exits 1 with every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

import { argument, checks, watchedPage } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const out = argument("out", "target/browser");
const coordinator = argument("coordinator", "");
const department = argument("department", "");
const password = argument("password", "");
const reference = argument("reference", "");
const duplicate = argument("duplicate", "");
const reportId = argument("report-id", "");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const { check, audit, fits, phonePage, finish } = checks(out);
const heading = async (page) => (await page.locator("h1").innerText()).trim();
const logIn = async (page, email) => {
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
};

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const { context, page, errors, foreign } = await watchedPage(browser, base);

  const first = await page.goto(`${base}/console`, { waitUntil: "load" });
  check(first?.status() === 200 && page.url().includes("/console/login"), `without a session the console shows the login page (${page.url()})`);
  check((await page.getAttribute("html", "lang")) === "nl", "the console is in Dutch by default");
  check((await heading(page)) === "Inloggen", "the login page says what it is");
  await audit(page, "console-login");

  await page.fill("#email", coordinator);
  await page.fill("#password", "niet het wachtwoord");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
  check((await page.locator(".error").innerText()).includes("klopt niet"), "a wrong password says so");
  await audit(page, "console-login-failed");
  // The refused login is a 401 page, which Chromium logs as a failed load: that one only.
  check(errors.length === 1 && errors[0].includes("401"), `no console errors but the refused login's 401 (${errors.join(" | ")})`);
  errors.length = 0;

  await logIn(page, coordinator);
  check(new URL(page.url()).pathname === "/console", `the login opens the queue (${page.url()})`);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "meldpunt_session");
  check(session !== undefined && session.secure && session.httpOnly && session.sameSite === "Lax",
    `Chromium keeps the Secure, HttpOnly, SameSite=Lax session cookie from ${base} (${JSON.stringify(session && { secure: session.secure, httpOnly: session.httpOnly, sameSite: session.sameSite })})`);
  check((await heading(page)) === "Werkvoorraad", "the queue's heading");
  check((await page.locator("table.queue tbody tr").count()) === 2, "the queue lists both reports");
  check((await page.getByRole("group", { name: /Kaart van de buurten/ }).count()) === 1, "the queue has a map with a name");
  await audit(page, "console-queue");
  await page.keyboard.press("Tab");
  check((await page.evaluate(() => document.activeElement?.className)) === "skip", "the first Tab reaches the skip link");

  await page.fill("#q", reference);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator("#q").press("Enter")]);
  check(page.url().endsWith(`/console/reports/${reportId}`), `searching the reference opens the report (${page.url()})`);
  check((await heading(page)) === `Melding ${reference}`, "the report's heading names its reference");
  await audit(page, "console-report");

  const merge = page.getByRole("button", { name: `Voeg die samen in deze melding: ${duplicate}` });
  check((await merge.count()) === 1, "the duplicate is offered to merge into this report");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), merge.click()]);
  check((await page.locator(".notice").innerText()).includes("samengevoegd"), "the merge says it is done");
  check(page.url().includes(`/console/reports/${reportId}`), "and comes back to the original");

  await page.selectOption("#to", "resolved");
  await page.fill("#status-text", "De lamp is vervangen. Dank voor uw melding.");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("button", { name: "Status opslaan" }).click()]);
  check((await page.locator(".notice").innerText()) === "Status gewijzigd naar Afgehandeld.", "resolving says the status changed");
  check((await page.locator(".facts strong").first().innerText()) === "Afgehandeld", "the report is resolved");
  await audit(page, "console-resolved");

  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("button", { name: "Toon contactgegevens" }).click()]);
  check((await page.locator("main").innerText()).includes("Anoniem gemeld."), "the contact is shown after the click (anonymous here)");

  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("link", { name: "English" }).click()]);
  check((await page.getAttribute("html", "lang")) === "en" && (await heading(page)) === `Report ${reference}`, "the language link switches to English");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("link", { name: "Queue" }).first().click()]);
  check((await heading(page)) === "Queue", "and English is remembered on the next page");
  await audit(page, "console-queue-en");
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("link", { name: "Nederlands" }).click()]);

  // A coordinator reads statistics too: the analysis page with the way to the analyst pages.
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("link", { name: "Analyse" }).click()]);
  check((await heading(page)) === "Analyse" && (await page.locator("a[href^='/open/dashboard']").count()) === 1, "the analysis page links to the public dashboard");
  await audit(page, "console-analysis");

  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.getByRole("button", { name: "Uitloggen" }).click()]);
  check((await page.locator(".notice").innerText()).includes("uitgelogd"), "logging out says so");
  const after = await page.goto(`${base}/console`, { waitUntil: "load" });
  check(page.url().includes("/console/login") && after?.status() === 200, "after logging out the console asks to log in again");

  await logIn(page, department);
  check(!(await page.locator("main").innerText()).includes(reference), "a member of another department does not see the report in the queue");
  const hidden = await page.goto(`${base}/console/reports/${reportId}`, { waitUntil: "load" });
  check(hidden?.status() === 404 && (await heading(page)) === "Melding niet gevonden", "nor by its address (404)");
  await audit(page, "console-not-found");
  check(errors.length === 1 && errors[0].includes("404"), `no console errors but the hidden report's 404 (${errors.join(" | ")})`);
  errors.length = 0;

  check(errors.length === 0, `no other console errors (${errors.join(" | ")})`);
  check(foreign.length === 0, `nothing loaded from another host (${foreign.join(", ")})`);
  await context.close();

  // The same pages on a phone.
  const { phone, small } = await phonePage(browser);
  await small.goto(`${base}/console/login`, { waitUntil: "load" });
  await logIn(small, coordinator);
  for (const [label, path] of [["console-phone-queue", "/console"], ["console-phone-report", `/console/reports/${reportId}`]]) {
    await small.goto(`${base}${path}`, { waitUntil: "load" });
    await fits(small, label);
    await audit(small, label);
    await small.screenshot({ path: `${out}/${label}-top.png` });
  }

  await phone.close();
} finally {
  await browser.close();
}
finish();
