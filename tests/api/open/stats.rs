//! The public statistics and aggregate downloads: small counts are hidden, the others
//! rounded to 5, no hidden count can be worked out from the rest (by the attacks the issue
//! names, run here by an attacker written independently of the server), every answer is a
//! part of the same grid, and nothing personal is ever in them.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::support::app::{TestApp, expect_problem, pointers};
use crate::support::backends::on_both_backends;
use crate::support::history::{History, import};
use crate::support::staff::*;

const A: (f64, f64) = (50.923975, 5.91321); // BU09171000, wijk WK091710
const B: (f64, f64) = (50.920036, 5.906117); // BU09171001, wijk WK091710
const C: (f64, f64) = (50.932135, 5.923663); // BU09171100, wijk WK091711

pub(super) const NAME: &str = "Opendata Olaf";
pub(super) const EMAIL: &str = "olaf.opendata@example.nl";
pub(super) const PHONE: &str = "0455551234";

/// 2025 in three buurten: street lights (wegen-verkeer-straatmeubilair) in March, some
/// resolved in April; bulky waste (afval) in June and in the third quarter; reports of a
/// non-public category that must never count. Some cells are small, and one is given away
/// by rounding alone: in Q3, 4 + 7 + 7 = 18 shows as 20 (18 to 22) and each 7 as 5 (5 to 7),
/// so July is at least 18 − 14 = 4, the most "fewer than 5" allows.
pub(super) fn history() -> String {
    let mut history = History::new("O", &format!("Melding van {NAME}, {EMAIL}, bel {PHONE}"));
    history.add(10, "straatverlichting-openbare-klok", A, "2025-03-05", "2025-04-10 12:00:00", "resolved");
    history.add(1, "straatverlichting-openbare-klok", A, "2025-03-06", "", "in_progress");
    history.add(3, "straatverlichting-openbare-klok", B, "2025-03-07", "", "in_progress");
    history.add(6, "straatverlichting-openbare-klok", C, "2025-03-08", "2025-03-20 12:00:00", "resolved");
    history.add(2, "grofvuil", B, "2025-06-02", "", "in_progress");
    history.add(6, "grofvuil", C, "2025-06-03", "2025-06-04 12:00:00", "resolved");
    history.add(4, "grofvuil", C, "2025-07-01", "", "in_progress");
    history.add(7, "grofvuil", C, "2025-08-01", "", "in_progress");
    history.add(7, "grofvuil", C, "2025-09-01", "", "in_progress");
    history.add(6, "jongerenoverlast", A, "2025-03-09", "", "in_progress");
    history.csv()
}

async fn seed(app: &TestApp) {
    import(app, history()).await;
}

async fn get_text(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// What an attacker sees of a cell: a number, or hidden (small: "fewer than N").
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seen {
    Count(i64),
    Small,
    Hidden,
}

/// A cell: (area code, category, period).
type Key = (String, String, String);

type Cells = HashMap<Key, Seen>;

type Equations = BTreeMap<Key, Vec<Key>>;

/// Every row of the aggregates of 2025 at all three levels, for one measure.
async fn published(app: &TestApp, measure: &str) -> Cells {
    let mut cells = Cells::new();
    for level in ["gemeente", "wijk", "buurt"] {
        let csv = get_text(app, &format!("/api/v1/open/aggregates.csv?year=2025&level={level}")).await;
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let header = reader.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        for record in reader.records() {
            let record = record.unwrap();
            let seen = match (&record[col(measure)], &record[col(&format!("{measure}_suppressed"))]) {
                (n, "") => Seen::Count(n.parse().unwrap()),
                ("", "fewer than 5") => Seen::Small,
                ("", _) => Seen::Hidden,
                other => panic!("a hidden count with a number: {other:?}"),
            };
            let key = (
                record[col("area_code")].to_owned(),
                record[col("category")].to_owned(),
                record[col("period")].to_owned(),
            );
            cells.insert(key, seen);
        }
    }
    cells
}

/// Every equation "parent = sum of children" among the published cells.
fn equations(cells: &Cells) -> Vec<(Key, Vec<Key>)> {
    let parent_area = |code: &str| match &code[..2] {
        "BU" => Some(format!("WK{}", &code[2..8])),
        "WK" => Some(format!("GM{}", &code[2..6])),
        _ => None,
    };
    let is_month = |p: &str| p.len() == 7 && !p.contains('Q');
    let parent_period = |p: &str| {
        if is_month(p) {
            let month: usize = p[5..].parse().unwrap();
            Some(format!("{}-Q{}", &p[..4], (month - 1) / 3 + 1))
        } else if p.contains('Q') {
            Some(p[..4].to_owned())
        } else {
            None
        }
    };
    let mut areas = Equations::new();
    let mut categories = Equations::new();
    let mut periods = Equations::new();
    let mut months = Equations::new();
    for key in cells.keys() {
        let (area, category, period) = key;
        if let Some(parent) = parent_area(area) {
            areas.entry((parent, category.clone(), period.clone())).or_default().push(key.clone());
        }
        if category != "all" {
            categories.entry((area.clone(), "all".to_owned(), period.clone())).or_default().push(key.clone());
        }
        if let Some(parent) = parent_period(period) {
            periods.entry((area.clone(), category.clone(), parent)).or_default().push(key.clone());
        }
        if is_month(period) {
            months.entry((area.clone(), category.clone(), period[..4].to_owned())).or_default().push(key.clone());
        }
    }
    [areas, categories, periods, months]
        .into_iter()
        .flatten()
        .filter(|(parent, _)| cells.contains_key(parent))
        .collect()
}

/// What the attacker knows of a cell from what is shown: a number rounded to 5 is within 2
/// of it and at least 5; "fewer than 5" is 0 to 4; a hidden one at least 5.
fn interval(seen: Seen) -> (i64, i64) {
    // More than the seed has reports: an attacker may know that much.
    const UNBOUNDED: i64 = 1_000;
    match seen {
        Seen::Count(n) => ((n - 2).max(5), n + 2),
        Seen::Small => (0, 4),
        Seen::Hidden => (5, UNBOUNDED),
    }
}

/// The attacks: every equation "parent = sum of children" narrows the parent to the sum of
/// its children's intervals and each child to the parent's less its siblings', over all
/// equations again and again until nothing changes (this finds every difference of shown
/// cells and every sum pinned at the edge of its intervals). The small cells narrowed to
/// one value are disclosed.
fn disclosed(cells: &Cells) -> Vec<String> {
    let keys: Vec<&Key> = cells.keys().collect();
    let index: HashMap<&Key, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let equations: Vec<(usize, Vec<usize>)> =
        equations(cells).iter().map(|(p, children)| (index[p], children.iter().map(|c| index[c]).collect())).collect();
    let mut of_cell = vec![Vec::new(); keys.len()];
    for (e, (parent, children)) in equations.iter().enumerate() {
        for &member in std::iter::once(parent).chain(children) {
            of_cell[member].push(e);
        }
    }
    let mut bounds: Vec<(i64, i64)> = keys.iter().map(|k| interval(cells[*k])).collect();
    let mut queue: std::collections::VecDeque<usize> = (0..equations.len()).collect();
    let mut queued = vec![true; equations.len()];
    while let Some(e) = queue.pop_front() {
        queued[e] = false;
        let (parent, children) = &equations[e];
        let low: i64 = children.iter().map(|&c| bounds[c].0).sum();
        let high: i64 = children.iter().map(|&c| bounds[c].1).sum();
        let (p_low, p_high) = bounds[*parent];
        let mut narrowed = vec![(*parent, (p_low.max(low), p_high.min(high)))];
        for &child in children {
            let (c_low, c_high) = bounds[child];
            narrowed.push((child, (c_low.max(p_low - (high - c_high)), c_high.min(p_high - (low - c_low)))));
        }
        for (cell, interval) in narrowed {
            if bounds[cell] != interval {
                bounds[cell] = interval;
                for &next in &of_cell[cell] {
                    if !queued[next] {
                        queued[next] = true;
                        queue.push_back(next);
                    }
                }
            }
        }
    }
    let mut found: Vec<String> = keys
        .iter()
        .enumerate()
        .filter(|(i, key)| cells[**key] == Seen::Small && bounds[*i].0 == bounds[*i].1)
        .map(|(i, key)| format!("{key:?} is {}", bounds[i].0))
        .collect();
    found.sort();
    found
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn small_counts_read_fewer_than_five_and_none_can_be_worked_out_from_wijk_gemeente_category_or_period(app) {
        seed(&app).await;
        for measure in ["received", "resolved"] {
            let cells = published(&app, measure).await;
            let key = |a: &str, c: &str, p: &str| (a.to_owned(), c.to_owned(), p.to_owned());
            if measure == "received" {
                assert_eq!(cells[&key("BU09171001", "wegen-verkeer-straatmeubilair", "2025-03")], Seen::Small, "three reports");
                // Every count of 5 or more is the true count rounded to 5, or hidden to protect.
                for (cell, count) in [
                    (key("GM0917", "all", "2025"), 46),
                    (key("BU09171000", "wegen-verkeer-straatmeubilair", "2025-03"), 11),
                    (key("BU09171000", "all", "2025-03"), 11),
                    (key("BU09171100", "wegen-verkeer-straatmeubilair", "2025-Q1"), 6),
                    (key("WK091711", "afval", "2025-Q3"), 18),
                ] {
                    let rounded = (count + 2) / 5 * 5;
                    assert!(cells[&cell] == Seen::Count(rounded) || cells[&cell] == Seen::Hidden, "{cell:?}: {:?}", cells[&cell]);
                }
                assert_eq!(cells[&key("GM0917", "afval", "2025-05")], Seen::Small, "zero is fewer than 5 too");
                // Rounding alone would let the third quarter give July away: something
                // more is hidden in it.
                let q3 = ["2025-08", "2025-09", "2025-Q3"].map(|p| cells[&key("BU09171100", "afval", p)]);
                assert_eq!(cells[&key("BU09171100", "afval", "2025-07")], Seen::Small);
                assert!(q3.contains(&Seen::Hidden), "{q3:?}");
            }
            let found = disclosed(&cells);
            assert!(found.is_empty(), "{measure}: {found:#?}");
        }
    }

    async fn the_non_public_category_counts_nowhere_and_every_answer_is_part_of_one_grid(app) {
        seed(&app).await;
        let answer = app.get_json("/api/v1/open/stats?year=2025&level=buurt&period=month").await;
        let a_march = answer["rows"].as_array().unwrap().iter().find(|r| r["area_code"] == "BU09171000" && r["period"] == "2025-03").unwrap();
        // 11 street lights; the 6 reports of the non-public category are not counted (17
        // would read 15).
        assert!(a_march["received"] == 10 || a_march["received_suppressed"] == "hidden to protect a small count", "{a_march}");
        assert_eq!(answer["min_count"], 5);
        assert_eq!(answer["rounding_base"], 5);
        assert_eq!(answer["boundary_year"], 2025);
        assert!(answer["attribution"].as_str().unwrap().starts_with("Kadaster / Centraal Bureau voor de Statistiek, 2025"));
        assert!(answer["method"].as_str().unwrap().contains("secondary suppression"));
        let cells = published(&app, "received").await;
        for period in ["month", "quarter", "year"] {
            for level in ["buurt", "wijk", "gemeente"] {
                let answer = app.get_json(&format!("/api/v1/open/stats?year=2025&level={level}&period={period}&category=wegen-verkeer-straatmeubilair")).await;
                for row in answer["rows"].as_array().unwrap() {
                    let key = (row["area_code"].as_str().unwrap().to_owned(), "wegen-verkeer-straatmeubilair".to_owned(), row["period"].as_str().unwrap().to_owned());
                    let seen = match (&row["received"], row["received_suppressed"].as_str()) {
                        (Value::Number(n), None) => Seen::Count(n.as_i64().unwrap()),
                        (Value::Null, Some("fewer than 5")) => Seen::Small,
                        (Value::Null, Some(_)) => Seen::Hidden,
                        other => panic!("{other:?}"),
                    };
                    assert_eq!(cells[&key], seen, "{key:?} differs between the answer and the download");
                }
            }
        }
        let again = get_text(&app, "/api/v1/open/aggregates.csv?year=2025&level=buurt").await;
        assert_eq!(again, get_text(&app, "/api/v1/open/aggregates.csv?year=2025&level=buurt").await, "the same question, the same answer");
    }

    async fn downloads_carry_an_etag_answer_304_and_the_geojson_draws_every_buurt(app) {
        seed(&app).await;
        let first = app.get("/api/v1/open/aggregates.csv?year=2025&level=wijk").await;
        assert_eq!(first.status(), 200);
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(first.headers()["content-disposition"].to_str().unwrap().contains("meldpunt-aggregates-GM0917-wijk-2025.csv"));
        let again = app.client.get(app.url("/api/v1/open/aggregates.csv?year=2025&level=wijk")).header("If-None-Match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304);
        let geo: Value = app.get_json("/api/v1/open/aggregates.geojson?year=2025&level=buurt&period=quarter&category=wegen-verkeer-straatmeubilair").await;
        let features = geo["features"].as_array().unwrap();
        assert_eq!(features.len(), 57, "Heerlen has 57 buurten in 2025");
        assert!(features.iter().all(|f| f["geometry"]["type"] == "MultiPolygon"));
        let b = features.iter().find(|f| f["id"] == "BU09171001").unwrap();
        assert_eq!(b["properties"]["received_2025_Q1"], Value::Null, "{b}");
        assert_eq!(b["properties"]["received_2025_Q1_suppressed"], "fewer than 5");
        let gemeente: Value = app.get_json("/api/v1/open/aggregates.geojson?year=2025&level=gemeente&period=year").await;
        let total = &gemeente["features"][0]["properties"];
        assert!(total["received_2025"] == 45 || total["received_2025_suppressed"] == "hidden to protect a small count", "{total}");
        assert_eq!(geo["attribution"], "Kadaster / Centraal Bureau voor de Statistiek, 2025");
        let schema = app.get_json("/api/v1/open/schema/aggregates.json").await;
        let names: Vec<&str> = schema["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        let csv = get_text(&app, "/api/v1/open/aggregates.csv?year=2025&level=wijk").await;
        assert_eq!(csv.lines().next().unwrap(), names.join(","), "the CSV has the schema's columns in its order");
    }

    async fn questions_outside_the_published_grid_are_refused_saying_what_is_available(app) {
        for (query, pointer, says) in [
            ("period=week", "/period", "month, quarter or year"),
            ("level=provincie", "/level", "buurt, wijk or gemeente"),
            ("category=jongerenoverlast", "/category", "wegen-verkeer-straatmeubilair"),
            ("category=grofvuil", "/category", "afval"),
            ("year=2999", "/year", "ended"),
            ("boundary_year=1990", "/boundary_year", "2025"),
            ("gemeente=GM0363", "/gemeente", "GM0917"),
        ] {
            let response = app.get(&format!("/api/v1/open/stats?{query}")).await;
            let problem = expect_problem(response, 422).await;
            assert_eq!(pointers(&problem), [pointer], "{query}: {problem}");
            assert!(problem.to_string().contains(says), "{query}: {problem}");
        }
    }

    async fn no_open_answer_or_download_holds_names_emails_phones_or_report_text(app) {
        seed(&app).await;
        let mut everything = String::new();
        for path in [
            "/api/v1/open/stats?year=2025",
            "/api/v1/open/stats?year=2025&level=gemeente&period=year&format=csv",
            "/api/v1/open/aggregates.csv?year=2025&level=buurt",
            "/api/v1/open/aggregates.geojson?year=2025&level=wijk",
            "/api/v1/open/schema/aggregates.json",
        ] {
            everything.push_str(&get_text(&app, path).await);
        }
        for secret in [NAME, EMAIL, PHONE, "Melding van"] {
            assert!(!everything.contains(secret), "{secret} is published");
        }
    }
}
