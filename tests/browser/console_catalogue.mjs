// The console's departments and categories pages in a real headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core), checked with axe-core. Run by
// tests/api/console/catalogue_browser.rs:
//
//   node tests/browser/console_catalogue.mjs --url http://127.0.0.1:PORT --admin EMAIL \
//        --password PASSWORD --out target/browser
//
// An admin opens the categories from the configuration's navigation, adds a subcategory of
// "Afval" with a handling time and a list question, finds it in the tree, opens it, gives it
// an impossible handling time and reads the reason at the field; then opens the departments.
// Every page is checked with axe-core (no serious or critical WCAG 2.1 A/AA violation), for
// console errors and requests to other hosts, and at 360 px for sideways scrolling. Exits 1
// with every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

import { argument, checks, logIn, watchedPage } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const out = argument("out", "target/browser");
const admin = argument("admin", "");
const password = argument("password", "");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const { check, audit, submit, fits, phonePage, finish } = checks(out);
const name = "Naalden en spuiten";

const logInAsAdmin = (page) => logIn(page, base, admin, password);

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  const { context, page, errors, foreign } = await watchedPage(browser, base);
  await logInAsAdmin(page);
  await submit(page, "nav a[href='/console/config/rules']");
  await submit(page, "nav.subnav a[href='/console/config/categories']");
  check((await page.locator("h1").innerText()).trim() === "Categorieën", "the navigation leads to the categories");
  check((await page.locator("nav.subnav a[aria-current='page']").innerText()).trim() === "Categorieën", "the navigation marks the page");
  await audit(page, "console-catalogue-categories");

  await submit(page, "a[href='/console/config/categories/new?parent=afval']");
  check((await page.inputValue("#parent")) === "afval", "the new subcategory is under Afval");
  await audit(page, "console-catalogue-category-new");
  await page.fill("#slug", "naalden-en-spuiten");
  await page.fill("#name_nl", name);
  await page.fill("#name_en", "Needles and syringes");
  await page.selectOption("#default_department", "afval-en-reiniging");
  await page.fill("#handling_hours", "24");
  await page.fill("#q0_key", "plek");
  await page.fill("#q0_label_nl", "Waar liggen ze?");
  await page.fill("#q0_label_en", "Where are they?");
  await page.selectOption("#q0_datatype", "singlevaluelist");
  await page.fill("#q0_values", "speeltuin | Speeltuin | Playground\nstoep | Stoep | Pavement");
  await page.check("#q0_required");
  await submit(page, "button[name='action'][value='save']");
  check(page.url().includes("done=created"), `saving goes back to the tree (${page.url()})`);
  check((await page.locator("table.tree th[scope='row'] a").allInnerTexts()).includes(name), "the category is in the tree");
  await audit(page, "console-catalogue-categories-saved");

  await submit(page, `table.tree a:text-is("${name}")`);
  check((await page.inputValue("#q0_key")) === "plek", "the question is on the category's page");
  const before = errors.length;
  await page.fill("#handling_hours", "0");
  const refused = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("button[name='action'][value='save']")]);
  check(refused[0]?.status() === 422, "a handling time of 0 hours is refused");
  check(await page.locator(".error[role='alert']").isVisible(), "the reasons are shown");
  const described = (await page.getAttribute("#handling_hours", "aria-describedby")) || "";
  check(described.includes("handling_hours-error"), `the reason is linked to the field (${described})`);
  check(errors.slice(before).every((e) => e.includes("422")), "the refusal's 422 is the only console error it causes");
  errors.length = before;
  await audit(page, "console-catalogue-category-invalid");

  await submit(page, "nav.subnav a[href='/console/config/departments']");
  check((await page.locator("h1").innerText()).trim() === "Afdelingen", "the navigation leads to the departments");
  await audit(page, "console-catalogue-departments");

  check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
  check(foreign.length === 0, `nothing loaded from another host (${foreign.join(", ")})`);
  await context.close();

  const { phone, small } = await phonePage(browser);
  await logInAsAdmin(small);
  for (const [label, path] of [
    ["console-catalogue-phone-categories", "/console/config/categories"],
    ["console-catalogue-phone-category-new", "/console/config/categories/new?parent=afval"],
    ["console-catalogue-phone-departments", "/console/config/departments"],
  ]) {
    await small.goto(`${base}${path}`, { waitUntil: "load" });
    await fits(small, label);
    await audit(small, label);
  }
  await phone.close();
} finally {
  await browser.close();
}
finish();
