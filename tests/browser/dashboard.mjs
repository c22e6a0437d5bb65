// The public dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), checked with axe-core. Run by tests/api/open/dashboard.rs against a
// seeded server:
//
//   node tests/browser/dashboard.mjs --url http://127.0.0.1:PORT --small BU09171001 \
//        --areas 57 --out target/browser
//
// For each language it loads the dashboard, counts the areas on the map, checks that the
// buurt given by --small shows as suppressed (pattern on the map, "fewer than 5" in the
// table), that nothing is loaded from another host, that the console stays free of errors,
// that the page fits a phone, that clicking an area selects it for the time series, and
// that axe-core finds no serious or critical WCAG 2.1 A/AA violation. Screenshots go to
// --out. Exits 1 with every failure listed.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import path from "node:path";

import { argument, runAxe, watchedPage } from "./harness.mjs";

const base = argument("url", "http://127.0.0.1:8080");
const small = argument("small", "");
const expectedAreas = Number(argument("areas", "57"));
const year = argument("year", "2025");
const out = argument("out", "target/browser");
const executablePath = argument("chromium", process.env.CHROMIUM || "/usr/bin/chromium");
mkdirSync(out, { recursive: true });

const failures = [];
const fail = (message) => { failures.push(message); console.log(`FAIL ${message}`); };
const pass = (message) => console.log(`ok   ${message}`);

const words = {
  nl: { fewer: "minder dan 5", hidden: "verborgen ter bescherming" },
  en: { fewer: "fewer than 5", hidden: "hidden to protect a small count" },
};

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
try {
  for (const lang of ["nl", "en"]) {
    const { context, page, errors, foreign } = await watchedPage(browser, base);

    const address = `${base}/open/dashboard?lang=${lang}&year=${year}&period=year&level=buurt&category=all`;
    const response = await page.goto(address, { waitUntil: "load" });
    if (response?.status() === 200) pass(`${lang}: ${address} answers 200`);
    else fail(`${lang}: ${address} answered ${response?.status()}`);

    const htmlLang = await page.getAttribute("html", "lang");
    htmlLang === lang ? pass(`${lang}: <html lang="${htmlLang}">`) : fail(`${lang}: <html lang="${htmlLang}">, expected ${lang}`);

    const shapes = await page.locator("svg#map path[data-area]").count();
    shapes === expectedAreas ? pass(`${lang}: the map shows ${shapes} areas`) : fail(`${lang}: the map shows ${shapes} areas, expected ${expectedAreas}`);
    const named = await page.locator("svg#map a[aria-label]").count();
    named === shapes ? pass(`${lang}: every area has an accessible name`) : fail(`${lang}: ${named} of ${shapes} areas have an accessible name`);

    if (small) {
      const shape = page.locator(`svg#map path[data-area="${small}"]`);
      const state = await shape.getAttribute("data-state");
      const fill = await shape.getAttribute("fill");
      const label = await page.locator(`svg#map a:has(path[data-area="${small}"])`).getAttribute("aria-label");
      if (state === "small" && fill === "url(#fill-small)" && label?.includes(words[lang].fewer)) {
        pass(`${lang}: ${small} is drawn as suppressed (${fill}) and named "${label}"`);
      } else {
        fail(`${lang}: ${small} is not drawn as suppressed: state ${state}, fill ${fill}, name ${label}`);
      }
      const row = page.locator("table tbody tr", { has: page.locator(`td:text-is("${small}")`) });
      const text = (await row.textContent()) ?? "";
      text.includes(words[lang].fewer) ? pass(`${lang}: its table row reads "${text}"`) : fail(`${lang}: its table row reads "${text}"`);
    }
    const legend = (await page.locator("ul.legend").textContent()) ?? "";
    legend.includes(words[lang].fewer) && legend.includes(words[lang].hidden)
      ? pass(`${lang}: the legend names both kinds of suppressed cells`)
      : fail(`${lang}: the legend reads "${legend}"`);
    const captions = await page.locator("table caption").count();
    captions >= 2 ? pass(`${lang}: ${captions} tables with captions`) : fail(`${lang}: ${captions} table captions`);

    // axe-core: WCAG 2.1 A and AA.
    const { result, serious } = await runAxe(page, lang);
    serious.length === 0
      ? pass(`${lang}: axe-core ${result.testEngine.version}: ${result.passes.length} rules pass, no serious or critical violation (${result.violations.length} minor)`)
      : fail(`${lang}: axe-core found ${serious.length} serious or critical violations`);

    const file = path.join(out, `dashboard-${lang}.png`);
    await page.screenshot({ path: file, fullPage: true });
    pass(`${lang}: screenshot ${file}`);

    // A phone: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    overflow <= 0 ? pass(`${lang}: fits a 375 px wide phone`) : fail(`${lang}: ${overflow} px wider than a 375 px phone`);
    await page.screenshot({ path: path.join(out, `dashboard-${lang}-phone.png`), fullPage: false });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Clicking an area selects it for the time series.
    const target = small || (await page.locator("svg#map path[data-area]").first().getAttribute("data-area"));
    await Promise.all([page.waitForURL(/area=/), page.locator(`svg#map a:has(path[data-area="${target}"])`).click()]);
    const heading = (await page.locator("#series-h").textContent()) ?? "";
    heading.includes(target) ? pass(`${lang}: clicking ${target} shows its time series ("${heading}")`) : fail(`${lang}: after clicking ${target} the series heading reads "${heading}"`);
    const bars = await page.locator("#series svg.chart rect").count();
    bars > 0 ? pass(`${lang}: the time series has ${bars} bars`) : fail(`${lang}: the time series has no bars`);

    errors.length === 0 ? pass(`${lang}: no console error`) : fail(`${lang}: console errors: ${errors.join(" | ")}`);
    foreign.length === 0 ? pass(`${lang}: nothing loaded from another host`) : fail(`${lang}: loaded from elsewhere: ${foreign.join(", ")}`);
    await context.close();
  }
} finally {
  await browser.close();
}

console.log(failures.length === 0 ? "browser: every check passed" : `browser: ${failures.length} checks failed`);
process.exit(failures.length === 0 ? 0 : 1);
