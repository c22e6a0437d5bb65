//! Monthly statistics are read from the roll-up kept at every change, daily ones from the
//! reports themselves: after every kind of change (intake, status changes with a reopening,
//! re-categorising and re-routing, moving, "me too", merging, an imported history) both
//! must tell the same story.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use super::stats::{BU09171000, BU09171001, file, move_to, stats_json};
use crate::support::app::TestApp;
use crate::support::backends::on_both_backends;
use crate::support::process::captured;
use crate::support::staff::*;

/// A third buurt, in another wijk (WK091711).
const BU09171100: (f64, f64) = (50.932135, 5.923663);

const COUNTS: [&str; 5] = ["received", "resolved", "cancelled", "reopened", "me_too"];

/// A history over 2025 in two buurten: resolved, cancelled, still open.
fn history() -> String {
    let (a, b) = (BU09171000, BU09171001);
    [
        "source_id,category,description,lat,lon,created_at,closed_at,final_status,department".to_owned(),
        format!(
            "R-1,straatverlichting-openbare-klok,,{},{},2025-02-03 09:00:00,2025-02-04 09:00:00,resolved,",
            a.0, a.1
        ),
        format!(
            "R-2,straatverlichting-openbare-klok,,{},{},2025-02-27 22:00:00,2025-04-01 08:00:00,resolved,",
            a.0, a.1
        ),
        format!("R-3,straatmeubilair,,{},{},2025-03-31 23:30:00,2025-05-02 10:00:00,cancelled,", b.0, b.1),
        format!("R-4,straatmeubilair,,{},{},2025-06-15 12:00:00,,in_progress,", b.0, b.1),
        format!(
            "R-5,straatverlichting-openbare-klok,,{},{},2025-10-31T23:00:00Z,2025-11-30T23:00:00Z,resolved,",
            a.0, a.1
        ),
    ]
    .join("\n")
}

async fn import(app: &TestApp) {
    crate::support::history::import(app, history()).await;
}

/// The key of a row: area and group.
fn key(row: &Value) -> String {
    ["area_code", "subcategory", "department", "source"]
        .iter()
        .map(|f| row[*f].to_string())
        .collect::<Vec<_>>()
        .join("|")
}

/// Compares a monthly answer with a daily one over the same months: counts add up, the
/// backlog at a month's end is that of its last day, and a month's single resolution
/// time is that day's.
fn assert_same_story(monthly: &Value, daily: &Value) {
    let mut days: BTreeMap<(String, String), Vec<&Value>> = BTreeMap::new();
    for row in daily["rows"].as_array().unwrap() {
        let month = row["period"].as_str().unwrap()[..7].to_owned();
        days.entry((key(row), month)).or_default().push(row);
    }
    let months = monthly["rows"].as_array().unwrap();
    let mut compared = 0;
    for row in months {
        let month = row["period"].as_str().unwrap().to_owned();
        let Some(day_rows) = days.get(&(key(row), month.clone())) else {
            // A group with nothing in the whole range is listed in neither.
            assert!(COUNTS.iter().all(|m| row[*m] == 0) && row["open_at_end"] == 0, "no daily rows for {row}");
            continue;
        };
        for measure in COUNTS {
            let summed: i64 = day_rows.iter().map(|d| d[measure].as_i64().unwrap()).sum();
            assert_eq!(row[measure].as_i64(), Some(summed), "{measure} of {month} for {}", key(row));
        }
        let last_day = day_rows.iter().max_by_key(|d| d["period"].as_str().unwrap().to_owned()).unwrap();
        assert_eq!(row["open_at_end"], last_day["open_at_end"], "backlog at the end of {month} for {}", key(row));
        if row["resolved"] == 1 {
            let day = day_rows.iter().find(|d| d["resolved"] == 1).unwrap();
            assert_eq!(row["median_hours_to_resolution"], day["median_hours_to_resolution"], "{month}");
            assert_eq!(row["on_time_share"], day["on_time_share"], "{month}");
        }
        compared += 1;
    }
    assert!(compared > 0);
    let groups: std::collections::BTreeSet<String> = months.iter().map(key).collect();
    let daily_groups: std::collections::BTreeSet<String> = daily["rows"].as_array().unwrap().iter().map(key).collect();
    assert_eq!(groups, daily_groups, "the same groups are listed");
}

/// The 24 months up to this one: at most 731 days, the longest daily question.
fn months_up_to_now() -> (String, String) {
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam);
    let last = now.format("%Y-%m").to_string();
    let this_month = chrono::Datelike::with_day(&now.date_naive(), 1).unwrap();
    let first = this_month.checked_sub_months(chrono::Months::new(23)).unwrap().format("%Y-%m").to_string();
    (first, last)
}

/// Compares monthly with daily figures, split by everything, by main category, by source,
/// and not split (the roll-up is summed by the database over what is not split by).
async fn compare(app: &TestApp) {
    let (first, last) = months_up_to_now();
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).date_naive();
    let first_of_month =
        chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), chrono::Datelike::month(&today), 1).unwrap();
    let last_day = first_of_month.checked_add_months(chrono::Months::new(1)).unwrap().pred_opt().unwrap();
    for split in ["&group_by=sub,department,source", "&group_by=main", "&group_by=source", ""] {
        let question =
            format!("level=buurt&area=BU09171000,BU09171001,BU09171100&category=wegen-verkeer-straatmeubilair{split}");
        let monthly = stats_json(app, &format!("{question}&period=month&from={first}&to={last}")).await;
        let daily = stats_json(app, &format!("{question}&period=day&from={first}-01&to={last_day}")).await;
        assert_same_story(&monthly, &daily);
        let quarterly = stats_json(
            app,
            &format!("{question}&period=quarter&from={first}-01&to={last_day}&measures=received,open_at_end"),
        )
        .await;
        assert!(!quarterly["rows"].as_array().unwrap().is_empty());
    }
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn monthly_figures_from_the_roll_up_match_the_daily_figures_from_the_reports_after_every_kind_of_change(app) {
        import(&app).await;
        let admin = admin_token(&app).await;
        let lamp = "straatverlichting-openbare-klok";
        let a = file(&app, lamp, BU09171000).await;
        let b = file(&app, lamp, BU09171000).await;
        let c = file(&app, lamp, BU09171001).await;
        let d = file(&app, lamp, BU09171000).await;
        let e = file(&app, lamp, BU09171000).await;
        compare(&app).await;
        // Resolved, reopened and resolved again; cancelled.
        move_to(&app, &a, "resolved").await;
        move_to(&app, &a, "reopened").await;
        move_to(&app, &a, "resolved").await;
        move_to(&app, &b, "cancelled").await;
        // Re-categorised (another department) and moved to another wijk.
        let path = format!("/api/v1/staff/reports/{c}");
        let changed = send(&app, Method::PATCH, &path, Some(&admin), Some(json!({"category": "straatmeubilair"}))).await;
        assert_eq!(changed.status(), 200, "{}", changed.text().await.unwrap_or_default());
        let moved = send(&app, Method::PATCH, &path, Some(&admin), Some(json!({"location": {"lat": BU09171100.0, "lon": BU09171100.1}}))).await;
        assert_eq!(moved.status(), 200, "{}", moved.text().await.unwrap_or_default());
        // "Me too" twice, then a merge that carries the duplicate's support to the original.
        for id in [&d, &e] {
            let support = send(&app, Method::POST, &format!("/api/v1/reports/{id}/support"), None, Some(json!({}))).await;
            assert!(support.status().is_success(), "{}", support.text().await.unwrap_or_default());
        }
        let merged = send(&app, Method::POST, &format!("/api/v1/staff/reports/{e}/merge"), Some(&admin), Some(json!({"into": d}))).await;
        assert_eq!(merged.status(), 200, "{}", merged.text().await.unwrap_or_default());
        move_to(&app, &d, "resolved").await;
        compare(&app).await;
        // The figures themselves, for this month: a, b, c, d received (e counts as a "me too" of d).
        let this_month = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).format("%Y-%m").to_string();
        let answer = stats_json(&app, &format!("level=gemeente&area=GM0917&category=wegen-verkeer-straatmeubilair&from={this_month}&to={this_month}")).await;
        let row = &answer["rows"][0];
        assert_eq!((row["received"].as_i64(), row["me_too"].as_i64(), row["resolved"].as_i64(), row["cancelled"].as_i64()), (Some(4), Some(3), Some(3), Some(1)), "{row}");

        // Filling the roll-up again from the reports gives the same answers as keeping it.
        let (first, last) = months_up_to_now();
        let question = format!("level=buurt&area=GM0917&group_by=sub,department,source&period=month&from={first}&to={last}");
        let kept = stats_json(&app, &question).await;
        let output = captured(std::process::Command::new(env!("CARGO_BIN_EXE_meldpunt"))
            .args(["stats", "rebuild"])
            .env("DATABASE_URL", &app.database_url)
            .env("MELDPUNT_LOG", "debug")
            .env("RUST_BACKTRACE", "0"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("from 9 reports"), "five imported, five filed, one of them merged: {stdout}");
        let rebuilt = stats_json(&app, &question).await;
        assert_eq!(kept["rows"], rebuilt["rows"]);
        assert!(kept["rows"].as_array().unwrap().iter().any(|r| r["received"].as_i64() > Some(0)));
    }
}
