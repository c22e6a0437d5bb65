// The analyst's project page in a real headless Chromium with axe-core. Run by
// tests/api/open/dashboard.rs against a server with a project:
//
//   node tests/browser/analyst.mjs --url http://127.0.0.1:PORT --project ID \
//        --email analist@… --password … --out target/browser
//
// Loads the page, checks the sign-in form, signs in, waits for the results, checks the
// tables (per buurt, project, comparison, and the difference in differences), the chart and
// a "too few to conclude" verdict, runs axe-core (fails on serious or critical), saves a
// screenshot, and fails on console errors or requests to another host. Then signs in to the
// console instead and follows the analysis page's link: the results show without a second
// sign-in.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import path from "node:path";

import { argument, logIn, runAxe, watchedPage } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const project = argument("project", "");
const out = argument("out", "target/browser");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const failures = [];
const check = (ok, message) => { if (ok) { console.log(`ok   ${message}`); } else { failures.push(message); console.log(`FAIL ${message}`); } };

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  for (const lang of ["nl", "en"]) {
    const { context, page, errors, foreign } = await watchedPage(browser, base);

    const response = await page.goto(`${base}/analyst/projects/${project}?lang=${lang}`);
    check(response?.status() === 200, `${lang}: the page answers ${response?.status()}`);
    check((await page.getAttribute("html", "lang")) === lang, `${lang}: <html lang="${lang}">`);
    await page.locator("#login").waitFor({ state: "visible" });
    check(true, `${lang}: the sign-in form shows`);
    await page.getByLabel(lang === "nl" ? "E-mailadres" : "Email address").fill(argument("email", ""));
    await page.getByLabel(lang === "nl" ? "Wachtwoord" : "Password").fill(argument("password", ""));
    await page.locator("#login button").click();
    await page.locator("#results table").first().waitFor({ timeout: 15000 });
    const tables = await page.locator("#results table caption").count();
    check(tables >= 4, `${lang}: ${tables} tables with captions (per buurt, project, comparison, difference in differences)`);
    const text = (await page.locator("#results").textContent()) ?? "";
    check(lang === "nl" ? /te weinig meldingen/.test(text) : /too few reports/.test(text), `${lang}: a "too few to conclude" verdict is shown in ${lang}`);
    if (lang === "nl") {
      check(!/too few|Counts per window|rest of /.test(text), "nl: no English verdict, method or unit name is left");
    }
    check((await page.locator("#results svg.chart circle").count()) > 0, `${lang}: the chart shows rates with intervals`);

    const { result, serious } = await runAxe(page, lang);
    check(serious.length === 0, `${lang}: axe-core: ${serious.length} serious or critical violations (${result.violations.length} in all)`);
    const file = path.join(out, `analyst-${lang}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`ok   ${lang}: screenshot ${file}`);
    check(errors.length === 0, `${lang}: console errors: ${errors.join(" | ") || "none"}`);
    check(foreign.length === 0, `${lang}: requests to other hosts: ${foreign.join(", ") || "none"}`);
    await context.close();
  }

  // Signed in to the console, the page needs no second sign-in: the console hands it a token.
  const { context, page, errors, foreign } = await watchedPage(browser, base);
  await logIn(page, base, argument("email", ""), argument("password", ""));
  check(new URL(page.url()).pathname === "/console/analysis", `console: an analyst lands on the analysis page (${page.url()})`);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.locator(`a[href^='/analyst/projects/${project}']`).click()]);
  await page.locator("#results table").first().waitFor({ timeout: 15000 });
  check(await page.locator("#login").isHidden(), "console: the results show without a second sign-in");
  await page.screenshot({ path: path.join(out, "analyst-from-console.png"), fullPage: true });
  check(errors.length === 0, `console: console errors: ${errors.join(" | ") || "none"}`);
  check(foreign.length === 0, `console: requests to other hosts: ${foreign.join(", ") || "none"}`);
  await context.close();
} finally {
  await browser.close();
}
console.log(failures.length === 0 ? "browser: every check passed" : `browser: ${failures.length} checks failed`);
process.exit(failures.length === 0 ? 0 : 1);
