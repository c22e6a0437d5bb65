// The console's routing rules page in a real headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core), checked with axe-core. Run by tests/api/console/config_browser.rs:
//
//   node tests/browser/console_config.mjs --url http://127.0.0.1:PORT --admin EMAIL \
//        --password PASSWORD --out target/browser
//
// An admin logs in, opens the routing rules from the navigation, fills in a candidate rule,
// tries it on a hypothetical street-light report, reads the explanation (the candidate
// routes it), saves the rule and finds it in the list, then changes it. Every page is checked with axe-core
// (no serious or critical WCAG 2.1 A/AA violation), for console errors and requests to
// other hosts, and at 360 px for sideways scrolling. Exits 1 with every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

import { argument, checks, watchedPage } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const out = argument("out", "target/browser");
const admin = argument("admin", "");
const password = argument("password", "");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const { check, audit, submit, fits, phonePage, finish } = checks(out);
const ruleName = "Verlichting naar het KCC";

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const { context, page, errors, foreign } = await watchedPage(browser, base);
  await page.goto(`${base}/console/login`, { waitUntil: "load" });
  await page.fill("#email", admin);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
  await submit(page, "nav a[href='/console/config/rules']");
  check(page.url().endsWith("/console/config/rules"), `the navigation leads to the routing rules (${page.url()})`);
  check((await page.locator("h1").innerText()).trim() === "Routeringsregels", "the page says what it is");
  await audit(page, "console-config-rules");

  await page.fill("#name", ruleName);
  await page.selectOption("#categories", ["straatverlichting-openbare-klok"]);
  await page.selectOption("#department", "klantcontactcentrum");
  await page.selectOption("#priority", "high");
  await page.selectOption("#test_category", "straatverlichting-openbare-klok");
  await page.fill("#test_lat", "50.8882");
  await page.fill("#test_lon", "5.9795");
  await submit(page, "button[name='action'][value='test']");
  const result = page.locator(".explanation");
  check(await result.isVisible(), "the try shows its result");
  const said = (await result.innerText()).replace(/\s+/g, " ");
  check(said.includes(ruleName) && said.includes("nieuwe regel"), `the explanation names the candidate rule (${said})`);
  check((await page.inputValue("#name")) === ruleName, "the form keeps the candidate");
  check((await page.locator("table.rules").count()) === 0, "nothing is saved by trying");
  await audit(page, "console-config-rules-tried");

  await submit(page, "button[name='action'][value='save']");
  check(page.url().includes("done=saved"), `saving goes back to the list (${page.url()})`);
  check((await page.locator("table.rules th[scope='row']").allInnerTexts()).includes(ruleName), "the saved rule is in the list");
  await audit(page, "console-config-rules-saved");

  // Change the saved rule: its form holds it; saving replaces it.
  await submit(page, `a[aria-label='Wijzigen: ${ruleName}']`);
  check((await page.locator("#form-rule h2").first().innerText()).includes("Regel wijzigen"), "the edit link opens the rule's form");
  check((await page.inputValue("#name")) === ruleName && (await page.inputValue("#deadline_hours")) === "", "the form holds the saved rule");
  await audit(page, "console-config-rule-edit");
  await page.fill("#deadline_hours", "12");
  await submit(page, "button[name='action'][value='save']");
  check(page.url().includes("done=changed"), `saving a change goes back to the list (${page.url()})`);
  const row = (await page.locator("table.rules tbody tr").first().innerText()).replace(/\s+/g, " ");
  check(row.includes("12 uur") && (await page.locator("table.rules tbody tr").count()) === 1, `the rule is changed, not added (${row})`);

  const before = errors.length;
  await page.fill("#name", "Zonder voorwaarden");
  await page.selectOption("#department", "klantcontactcentrum");
  const refused = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button[name='action'][value='save']")]);
  check(refused[0]?.status() === 422, "a rule without conditions is refused");
  check(await page.locator(".error[role='alert']").isVisible(), "the reasons are shown");
  check(errors.slice(before).every((e) => e.includes("422")), "the refusal's 422 is the only console error it causes");
  errors.length = before;
  await audit(page, "console-config-rules-invalid");

  check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
  check(foreign.length === 0, `nothing loaded from another host (${foreign.join(", ")})`);
  await context.close();

  const { phone, small } = await phonePage(browser);
  await small.goto(`${base}/console/login`, { waitUntil: "load" });
  await small.fill("#email", admin);
  await small.fill("#password", password);
  await Promise.all([small.waitForNavigation({ waitUntil: "load" }), small.keyboard.press("Enter")]);
  await small.goto(`${base}/console/config/rules`, { waitUntil: "load" });
  await fits(small, "console-config-phone-rules");
  await audit(small, "console-config-phone-rules");
  await phone.close();
} finally {
  await browser.close();
}
finish();
