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
