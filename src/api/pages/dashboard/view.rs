//! The dashboard as HTML: the form, the map with its legend and table, the time series with
//! its table, and the notes on method and attribution. Everything is escaped here; the
//! handler only gathers the figures.

use std::fmt::Write;

use geo::MultiPolygon;

use super::svg::{self, Bar, MapArea};
use super::text::{Lang, Texts};
use crate::domain::open_data::disclosure::Shown;

/// Escapes text for HTML (text and attribute values).
pub fn html(text: &str) -> String {
    crate::api::pages::html_escape(text)
}

/// An option of a select.
pub struct Choice {
    /// Its value in the query string.
    pub value: String,
    /// What the reader sees.
    pub label: String,
    /// Whether it is the one chosen.
    pub selected: bool,
}

/// An area with its figures for the period on the map.
pub struct AreaFigures<'a> {
    /// CBS code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Its polygon, when the boundary year has it.
    pub shape: Option<&'a MultiPolygon<f64>>,
    /// Received in the period.
    pub received: Shown,
    /// Resolved in the period.
    pub resolved: Shown,
    /// The address that selects it for the time series.
    pub href: String,
}

/// A month of the time series.
pub struct SeriesRow {
    /// Its label (`2025-03`).
    pub label: String,
    /// Received.
    pub received: Shown,
    /// Resolved.
    pub resolved: Shown,
}

/// Everything the dashboard shows.
pub struct Dashboard<'a> {
    /// The language.
    pub lang: Lang,
    /// The address of the same page in the other language.
    pub other_language_href: String,
    /// The selects, in the order of the form: year, category, period kind, period, level.
    pub years: Vec<Choice>,
    /// Categories.
    pub categories: Vec<Choice>,
    /// Period kinds.
    pub period_kinds: Vec<Choice>,
    /// Periods of the chosen kind.
    pub periods: Vec<Choice>,
    /// Area levels.
    pub levels: Vec<Choice>,
    /// The chosen category's name.
    pub category_name: String,
    /// The period on the map (`2025`, `2025-Q1`, `2025-03`).
    pub period_label: String,
    /// The areas of the map.
    pub areas: Vec<AreaFigures<'a>>,
    /// The area of the time series: code and name.
    pub selected: (String, String),
    /// Its months.
    pub series: Vec<SeriesRow>,
    /// The threshold.
    pub min_count: i64,
    /// The boundary attribution.
    pub attribution: String,
    /// Counts of the threshold or more are rounded to a multiple of this (1: exact).
    pub rounding_base: i64,
    /// The open-data addresses of the same figures (JSON, CSV, GeoJSON).
    pub data_links: [(String, &'static str); 3],
}

/// A published count as text.
pub fn shown_text(shown: Shown, min_count: i64, t: &Texts) -> String {
    match shown {
        Shown::Count(n) => n.to_string(),
        Shown::Small => format!("{} {min_count}", t.fewer_than),
        Shown::Protecting => t.protecting.to_owned(),
    }
}

fn select(out: &mut String, id: &str, label: &str, choices: &[Choice]) {
    let _ = write!(
        out,
        "<div class=\"field\"><label for=\"{id}\">{}</label><select id=\"{id}\" name=\"{id}\">",
        html(label)
    );
    for choice in choices {
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{}</option>",
            html(&choice.value),
            if choice.selected { " selected" } else { "" },
            html(&choice.label)
        );
    }
    out.push_str("</select></div>");
}

/// The page around `main` (head, skip link, language switch).
pub fn document(lang: Lang, title: &str, other_language_href: &str, main: &str) -> String {
    let t = lang.texts();
    format!(
        "<!doctype html><html lang=\"{tag}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/open/assets/dashboard.css\">\
         <script src=\"/open/assets/dashboard.js\" defer></script></head>\
         <body><a class=\"skip\" href=\"#main\">{skip}</a>\
         <header class=\"top\"><p class=\"site\">meldpunt</p><p class=\"switch\"><a href=\"{other}\" lang=\"{other_tag}\" hreflang=\"{other_tag}\">{other_name}</a></p></header>\
         <main id=\"main\" tabindex=\"-1\">{main}</main></body></html>",
        tag = lang.tag(),
        title = html(title),
        skip = html(t.skip),
        other = html(other_language_href),
        other_tag = t.other_language_name,
        other_name = html(t.other_language),
    )
}

/// The dashboard page.
pub fn render(d: &Dashboard<'_>) -> String {
    let t = d.lang.texts();
    let mut out = String::new();
    let _ = write!(out, "<h1>{}</h1><p class=\"intro\">{}</p>", html(t.title), html(t.intro));

    // The form: a plain GET, so it works without scripts.
    let _ = write!(
        out,
        "<section aria-labelledby=\"controls-h\"><h2 id=\"controls-h\">{}</h2>\
         <form method=\"get\" action=\"/open/dashboard\" class=\"controls\"><input type=\"hidden\" name=\"lang\" value=\"{}\">",
        html(t.controls),
        d.lang.tag()
    );
    select(&mut out, "year", t.year, &d.years);
    select(&mut out, "category", t.category, &d.categories);
    select(&mut out, "period", t.period, &d.period_kinds);
    select(&mut out, "at", t.shown_period, &d.periods);
    select(&mut out, "level", t.level, &d.levels);
    let _ =
        write!(out, "<div class=\"field\"><button type=\"submit\">{}</button></div></form></section>", html(t.show));

    // The map, its legend and its table.
    let received = |s: Shown| shown_text(s, d.min_count, t);
    let max = d.areas.iter().filter_map(|a| if let Shown::Count(n) = a.received { Some(n) } else { None }).max();
    let bounds = svg::class_bounds(max.unwrap_or(0), d.rounding_base);
    let _ = write!(
        out,
        "<section aria-labelledby=\"map-h\"><h2 id=\"map-h\">{}: {}, {}</h2><p>{}</p>",
        html(t.map_heading),
        html(&d.category_name),
        html(&d.period_label),
        html(t.map_hint)
    );
    out.push_str(svg::patterns());
    let map_areas: Vec<MapArea<'_>> = d
        .areas
        .iter()
        .filter_map(|a| {
            Some(MapArea {
                code: &a.code,
                shape: a.shape?,
                shown: a.received,
                label: format!("{}: {} {}", a.name, received(a.received), t.received),
                href: a.href.clone(),
                selected: a.code == d.selected.0,
            })
        })
        .collect();
    if map_areas.is_empty() {
        let _ = write!(out, "<p>{}</p>", html(t.no_areas));
    } else {
        let _ = write!(out, "<div class=\"map-wrap\">{}</div>", svg::map("map-h", &map_areas, &bounds));
    }
    legend(&mut out, t, &bounds, d);
    let _ = write!(
        out,
        "<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-labelledby=\"map-table-c\"><table><caption id=\"map-table-c\">{} {}, {}</caption>\
         <thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead><tbody>",
        html(t.map_table),
        html(&d.period_label),
        html(&d.category_name),
        html(t.area),
        html(t.code),
        html(t.received),
        html(t.resolved)
    );
    for a in &d.areas {
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><a href=\"{}\">{}</a></th><td>{}</td><td class=\"num\" data-state=\"{}\">{}</td><td class=\"num\">{}</td></tr>",
            html(&a.href),
            html(&a.name),
            html(&a.code),
            state(a.received),
            html(&received(a.received)),
            html(&received(a.resolved))
        );
    }
    out.push_str("</tbody></table></div></section>");

    // The time series of the selected area.
    let (code, name) = &d.selected;
    let _ = write!(
        out,
        "<section id=\"series\" aria-labelledby=\"series-h\"><h2 id=\"series-h\">{}: {} ({})</h2>",
        html(t.series_heading),
        html(name),
        html(code)
    );
    let bars: Vec<Bar> = d
        .series
        .iter()
        .map(|row| Bar {
            label: row.label.rsplit('-').next().unwrap_or(&row.label).to_owned(),
            shown: row.received,
            title: format!("{}: {} {}", row.label, received(row.received), t.received),
        })
        .collect();
    let _ = write!(out, "<div class=\"chart-wrap\">{}</div>", svg::bars("series-h", &bars, d.min_count));
    let _ = write!(
        out,
        "<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-labelledby=\"series-table-c\"><table><caption id=\"series-table-c\">{} {}, {}</caption>\
         <thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead><tbody>",
        html(t.series_table),
        html(name),
        html(&d.category_name),
        html(t.month_col),
        html(t.received),
        html(t.resolved)
    );
    for row in &d.series {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"num\" data-state=\"{}\">{}</td><td class=\"num\">{}</td></tr>",
            html(&row.label),
            state(row.received),
            html(&received(row.received)),
            html(&received(row.resolved))
        );
    }
    out.push_str("</tbody></table></div></section>");

    // Method, attribution and the same figures as open data.
    let _ = write!(
        out,
        "<section aria-labelledby=\"about-h\"><h2 id=\"about-h\">{}</h2><p>{} {} {}; {}.</p>{}<p>{}: {}</p><p>{}</p><h3>{}</h3><ul>",
        html(t.about),
        html(t.fewer_than),
        d.min_count,
        html(t.reports),
        html(t.protecting),
        if d.rounding_base > 1 {
            format!("<p>{} {}{}</p>", html(t.rounded), d.rounding_base, html(t.rounded_after))
        } else {
            String::new()
        },
        html(t.method),
        html(t.method_text),
        html(&d.attribution),
        html(t.data_links)
    );
    for (href, format) in &d.data_links {
        let _ = write!(out, "<li><a href=\"{}\">{}</a></li>", html(href), format);
    }
    out.push_str("</ul></section>");
    document(d.lang, t.title, &d.other_language_href, &out)
}

fn state(shown: Shown) -> &'static str {
    match shown {
        Shown::Count(_) => "count",
        Shown::Small => "small",
        Shown::Protecting => "protecting",
    }
}

fn legend(out: &mut String, t: &Texts, bounds: &[i64; 5], d: &Dashboard<'_>) {
    let min_count = d.min_count;
    let _ =
        write!(out, "<h3 id=\"legend-h\">{}</h3><ul class=\"legend\" aria-labelledby=\"legend-h\">", html(t.legend));
    // Published counts are multiples of the base from the smallest shown one up.
    let base = d.rounding_base.max(1);
    let mut low = crate::domain::open_data::disclosure::Rule::new(min_count, base).round(min_count);
    for (colour, &high) in svg::CLASS_COLOURS.iter().zip(bounds) {
        if high < low {
            continue;
        }
        let range = if low == high { high.to_string() } else { format!("{low}–{high}") };
        let _ = write!(out, "<li>{}{range} {}</li>", swatch(colour), html(t.reports));
        low = high + base;
    }
    let _ = write!(out, "<li data-state=\"small\">{}{} {min_count}</li>", swatch(svg::SMALL_FILL), html(t.fewer_than));
    let _ = write!(out, "<li data-state=\"protecting\">{}{}</li>", swatch(svg::PROTECTING_FILL), html(t.protecting));
    out.push_str("</ul>");
}

fn swatch(fill: &str) -> String {
    format!(
        "<svg class=\"swatch\" width=\"24\" height=\"16\" aria-hidden=\"true\" focusable=\"false\"><rect x=\"0.5\" y=\"0.5\" width=\"23\" height=\"15\" fill=\"{fill}\" stroke=\"#333\"/></svg>"
    )
}

/// The page for a question the dashboard cannot answer: what to change, and a way back.
pub fn error_page(lang: Lang, details: &[String]) -> String {
    let t = lang.texts();
    let mut main = format!("<h1>{}</h1><p>{}</p><ul>", html(t.error_title), html(t.error_intro));
    for detail in details {
        let _ = write!(main, "<li>{}</li>", html(detail));
    }
    let _ = write!(main, "</ul><p><a href=\"/open/dashboard?lang={}\">{}</a></p>", lang.tag(), html(t.back));
    let other = match lang {
        Lang::Nl => "/open/dashboard?lang=en",
        Lang::En => "/open/dashboard?lang=nl",
    };
    document(lang, t.error_title, other, &main)
}
