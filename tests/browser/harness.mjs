// What the browser tests share: reading their arguments, a page that records console
// errors and requests to other hosts, and an axe-core run over WCAG 2.1 A and AA.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");

/** The value after `--name` on the command line, or `fallback`. */
export function argument(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

/**
 * A new page of a desktop-sized context that records console errors (`errors`) and every
 * request to another host than `base` (`foreign`). bypassCSP: the pages allow only their
 * own scripts, and axe is injected by the test.
 */
export async function watchedPage(browser, base) {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  page.on("pageerror", (error) => errors.push(String(error)));
  const foreign = [];
  page.on("request", (request) => { if (!request.url().startsWith(base) && !request.url().startsWith("data:")) foreign.push(request.url()); });
  return { context, page, errors, foreign };
}

/** Runs axe-core over the page (WCAG 2.0/2.1 A and AA, best practice), logs every
 * violation, and returns the result with its serious and critical violations. */
export async function runAxe(page, label) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }));
  for (const v of result.violations) {
    console.log(`axe  ${label}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} nodes) ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  }
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  return { result, serious };
}

/**
 * The resident pages' checks on a phone-sized page (360 x 740): returns the page, its
 * console errors and foreign requests, `check(condition, message)` that records failures,
 * `audit(label)` that runs axe-core, checks for sideways scrolling and saves a screenshot to
 * `out`, `brokenLink(path, label)` that ends a script on a link that does not work, and
 * `finish()` that prints the failures and sets the exit code. bypassCSP: the
 * pages allow no scripts at all, and axe is injected.
 */
export async function phoneChecks(browser, base, out) {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  page.on("pageerror", (error) => errors.push(String(error)));
  const foreign = [];
  page.on("request", (request) => { if (!request.url().startsWith(base)) foreign.push(request.url()); });
  const failures = [];
  const check = (condition, message) => {
    if (condition) console.log(`ok   ${message}`);
    else { failures.push(message); console.log(`FAIL ${message}`); }
  };
  const audit = async (label) => {
    const { serious } = await runAxe(page, label);
    check(serious.length === 0, `${label}: no serious or critical axe-core violation (${serious.map((v) => v.id).join(", ")})`);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    check(!wide, `${label}: fits a 360 px screen without scrolling sideways`);
    await page.screenshot({ path: `${out}/${label}.png`, fullPage: true });
  };
  const finish = () => {
    if (failures.length > 0) {
      console.log(`${failures.length} failure(s):\n${failures.join("\n")}`);
      process.exitCode = 1;
    }
  };
  // The last step of a script: no console errors so far, then a link that does not work
  // answers 404 with a page that says so (Chromium reports the 404 document itself on the
  // console, the one error allowed), and nothing was loaded from another host.
  const brokenLink = async (path, label) => {
    check(errors.length === 0, `no console errors (${errors.join(" | ")})`);
    errors.length = 0;
    const response = await page.goto(`${base}${path}`, { waitUntil: "load" });
    check(response?.status() === 404, `a link that does not work answers 404 (${response?.status()})`);
    check((await page.locator("h1").innerText()).trim() === "Deze link werkt niet", "and a page that says so");
    await audit(label);
    check(errors.every((e) => e.includes("404")) && errors.length <= 1, `no console errors but the 404 (${errors.join(" | ")})`);
    check(foreign.length === 0, `nothing loaded from another host (${foreign.join(", ")})`);
  };
  return { context, page, errors, foreign, check, audit, finish, brokenLink };
}

/**
 * What every console script checks with: `check(condition, message)` records a failure,
 * `audit(page, label)` runs axe-core (a serious or critical violation fails) and saves a
 * screenshot to `out`, `submit(page, selector)` clicks and waits for the next page,
 * `fits(page, label)` fails when the page scrolls sideways (naming what sticks out),
 * `phonePage(browser)` opens a 360 px page that fails on console errors, and
 * `finish()` prints the violations per page and the failures and sets the exit code.
 */
export function checks(out) {
  const failures = [];
  const violations = {};
  const check = (condition, message) => {
    if (condition) console.log(`ok   ${message}`);
    else { failures.push(message); console.log(`FAIL ${message}`); }
  };
  const audit = async (page, label) => {
    const { result, serious } = await runAxe(page, label);
    violations[label] = result.violations.length;
    check(serious.length === 0, `${label}: no serious or critical axe-core violation (${serious.map((v) => v.id).join(", ")})`);
    await page.screenshot({ path: `${out}/${label}.png`, fullPage: true });
  };
  const submit = async (page, selector) =>
    Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
  const fits = async (page, label) => {
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    if (wide) {
      const over = await page.evaluate(() => [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 8).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`));
      console.log(`wider than the screen: ${over.join(", ")}`);
    }
    check(!wide, `${label}: fits a 360 px screen without scrolling sideways`);
  };
  const phonePage = async (browser) => {
    const phone = await browser.newContext({ bypassCSP: true, viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 });
    const small = await phone.newPage();
    small.on("console", (message) => { if (message.type() === "error") check(false, `no console error on a phone (${message.text()})`); });
    return { phone, small };
  };
  const finish = () => {
    console.log(`axe-core violations of any impact per page: ${JSON.stringify(violations)}`);
    if (failures.length > 0) {
      console.log(`${failures.length} failure(s):\n${failures.join("\n")}`);
      process.exitCode = 1;
    }
  };
  return { check, audit, submit, fits, phonePage, finish };
}

/** Logs in to the console at `base` with a password. */
export async function logIn(page, base, email, password) {
  await page.goto(`${base}/console/login`, { waitUntil: "load" });
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
}
