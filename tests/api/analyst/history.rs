//! Statistics over imported history: the backlog per month follows each report's status
//! history, times count in Europe/Amsterdam, and a project can start its baseline in the
//! years before meldpunt.

use reqwest::Method;
use serde_json::{Value, json};

use super::stats::{BU09171000, rows_of, stats_json};
use crate::support::app::TestApp;
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

/// Four reports in Maria Gewanden: open from December 2023, resolved in March after two
/// months, cancelled within February, and one received at 00:30 local time on 1 May 2024
/// (22:30 UTC on 30 April).
fn history() -> String {
    let (lat, lon) = BU09171000;
    [
        "source_id,category,description,lat,lon,created_at,closed_at,final_status,department".to_owned(),
        format!("A-1,straatverlichting-openbare-klok,,{lat},{lon},2023-12-01 10:00:00,,in_progress,"),
        format!("A-2,straatverlichting-openbare-klok,,{lat},{lon},2024-01-10 10:00:00,2024-03-05 10:00:00,resolved,"),
        format!("A-3,straatverlichting-openbare-klok,,{lat},{lon},2024-02-20 10:00:00,2024-02-25 10:00:00,cancelled,"),
        format!("A-4,straatverlichting-openbare-klok,,{lat},{lon},2024-04-30T22:30:00Z,,in_progress,"),
    ]
    .join("\n")
}

async fn import(app: &TestApp) {
    crate::support::history::import(app, history()).await;
}

fn month<'a>(answer: &'a Value, label: &str) -> &'a Value {
    rows_of(answer, "BU09171000").into_iter().find(|r| r["period"] == label).unwrap()
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn the_backlog_per_month_follows_the_imported_status_history(app) {
        import(&app).await;
        let answer = stats_json(&app, "level=buurt&buurt=BU09171000&period=month&from=2023-12&to=2024-05&category=wegen-verkeer-straatmeubilair&group_by=source").await;
        let counts = |label: &str| {
            let row = month(&answer, label);
            assert_eq!(row["source"], "import");
            (row["received"].as_i64().unwrap(), row["resolved"].as_i64().unwrap(), row["cancelled"].as_i64().unwrap(), row["open_at_end"].as_i64().unwrap())
        };
        assert_eq!(counts("2023-12"), (1, 0, 0, 1));
        assert_eq!(counts("2024-01"), (1, 0, 0, 2));
        assert_eq!(counts("2024-02"), (1, 0, 1, 2));
        assert_eq!(counts("2024-03"), (0, 1, 0, 1));
        assert_eq!(counts("2024-04"), (0, 0, 0, 1), "00:30 on 1 May local time is May");
        assert_eq!(counts("2024-05"), (1, 0, 0, 2));
        assert_eq!(month(&answer, "2024-03")["median_hours_to_resolution"], 55.0 * 24.0);
    }

    async fn a_project_takes_its_baseline_from_the_imported_years(app) {
        import(&app).await;
        let admin = admin_token(&app).await;
        let definition = json!({
            "areas": ["BU09171000"],
            "categories": ["straatverlichting-openbare-klok"],
            "baseline_from": "2023-12",
            "baseline_to": "2024-02",
            "intervention_start": "2024-03-01",
            "follow_up": "quarter",
        });
        let created = send(&app, Method::POST, "/api/v1/projects", Some(&admin), Some(json!({"name": "Lampen", "definition": definition}))).await;
        assert_eq!(created.status(), 201);
        let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let results: Value = send(&app, Method::GET, &format!("/api/v1/projects/{id}/results"), Some(&admin), None).await.json().await.unwrap();
        let project = results["units"].as_array().unwrap().iter().find(|u| u["unit"] == "project").unwrap();
        assert_eq!(project["baseline"]["figures"]["received"], 3);
        assert_eq!(project["baseline"]["months"], 3);
        assert_eq!(project["baseline"]["rate"]["per_month"], 1.0);
        let first = &project["follow_up"][0];
        assert_eq!((first["label"].as_str(), first["from"].as_str(), first["to"].as_str()), (Some("2024-Q1"), Some("2024-03"), Some("2024-03")));
        assert_eq!(first["figures"]["resolved"], 1);
        assert_eq!(project["follow_up"][1]["figures"]["received"], 1, "the report of 1 May (local time) is in Q2");
    }
}
