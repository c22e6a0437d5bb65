//! Retention end to end: reports filed with contact details, supported, subscribed to,
//! resolved and cancelled, and an imported history; `meldpunt retention run` (measured
//! from a moment 400 days ahead, which only debug builds accept) anonymises and deletes
//! what is past its term, and nothing else.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{run_retention, runs, whole_database};
use crate::analyst::stats::{BU09171000, stats_json};
use crate::support::app::TestApp;
use crate::support::backends::on_both_backends;
use crate::support::staff::*;
use crate::support::subscriptions::subscribe;

/// A report filed with the contact details `(email, name, phone)`; its id.
async fn file_with_contact(app: &TestApp, (email, name, phone): (&str, &str, &str)) -> String {
    let (lat, lon) = BU09171000;
    let body = json!({
        "category": "straatverlichting-openbare-klok",
        "description": "De lamp brandt niet",
        "location": {"lat": lat, "lon": lon},
        "answers": {"probleem": "uit", "aantal_lampen": 1},
        "reporter": {"email": email, "name": name, "phone": phone},
    });
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn close(app: &TestApp, token: &str, id: &str, to: &str) {
    let path = format!("/api/v1/staff/reports/{id}/transitions");
    let response = send(app, Method::POST, &path, Some(token), Some(json!({"to": to, "text": "Afgehandeld."}))).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
}

/// When the reports that are not yet due were resolved: two months ago, so they stay within
/// their term (five years) at every `as_of` the test uses, whatever today is.
fn recently_resolved() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive() - chrono::Duration::days(60)
}

/// Baseline reports of 2020 and cancelled ones of 2024 (all past their term), and reports
/// resolved two months ago (not yet).
fn history() -> String {
    let mut history = crate::support::history::History::new("RET", "Lamp kapot");
    let at = BU09171000;
    history.add(4, "straatverlichting-openbare-klok", at, "2020-01-10", "2020-02-05 10:00:00", "resolved");
    history.add(2, "straatverlichting-openbare-klok", at, "2024-01-15", "2024-01-20 10:00:00", "cancelled");
    let resolved = recently_resolved();
    let filed = (resolved - chrono::Duration::days(31)).format("%Y-%m-%d").to_string();
    history.add(3, "straatverlichting-openbare-klok", at, &filed, &format!("{resolved} 10:00:00"), "resolved");
    history.csv()
}

/// The monthly statistics from the baseline to the month of the recent resolutions.
fn months_question() -> String {
    let to = recently_resolved().format("%Y-%m");
    format!("level=buurt&buurt=BU09171000&period=month&from=2020-01&to={to}&category=wegen-verkeer-straatmeubilair")
}
const DAYS: &str =
    "level=buurt&buurt=BU09171000&period=day&from=2020-01-01&to=2020-03-31&category=wegen-verkeer-straatmeubilair";

async fn project_results(app: &TestApp, token: &str, id: &str) -> Value {
    let response = send(app, Method::GET, &format!("/api/v1/projects/{id}/results"), Some(token), None).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    response.json::<Value>().await.unwrap()["units"].clone()
}

async fn staff_view(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    send(app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(token), None).await
}

const ANNA: (&str, &str, &str) = ("anna.anoniem@example.nl", "Anna Anoniemstra", "0611122233");
const CARLA: (&str, &str, &str) = ("carla.cancel@example.nl", "Carla Cancelmans", "0644455566");
const DIRK: (&str, &str, &str) = ("dirk.doorloop@example.nl", "Dirk Doorloopers", "0677788899");
const BERT: &str = "bert.bijval@example.nl";
const EVA: &str = "eva.onbevestigd@example.nl";

on_both_backends! {
    setup = spawn_staff_app;

    async fn nothing_personal_survives_its_term_and_statistics_and_project_results_stay_the_same(app) {
        crate::support::history::import(&app, history()).await;
        let resolved = file_with_contact(&app, ANNA).await;
        let cancelled = file_with_contact(&app, CARLA).await;
        let open = file_with_contact(&app, DIRK).await;
        let support = format!("/api/v1/reports/{resolved}/support");
        assert_eq!(send(&app, Method::POST, &support, None, Some(json!({"email": BERT}))).await.status(), 201);
        subscribe(&app, json!({"channel": "email", "email": EVA, "areas": ["BU09171000"]})).await;
        // A login session, which expires in hours.
        let admin = admin_token(&app).await;
        close(&app, &admin, &resolved, "resolved").await;
        close(&app, &admin, &cancelled, "cancelled").await;
        assert_eq!(staff_view(&app, &admin, &resolved).await.status(), 200, "a staff view is audited");

        let definition = json!({
            "areas": ["BU09171000"],
            "categories": ["straatverlichting-openbare-klok"],
            "baseline_from": "2020-01",
            "baseline_to": "2020-03",
            "intervention_start": "2024-01-01",
            "follow_up": "quarter",
        });
        let created = send(&app, Method::POST, "/api/v1/projects", Some(&admin), Some(json!({"name": "Lampen", "definition": definition}))).await;
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap_or_default());
        let project = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let results = project_results(&app, &admin, &project).await;
        let baseline = results.as_array().unwrap().iter().find(|u| u["unit"] == "project").unwrap()["baseline"]["figures"]["received"].clone();
        assert_eq!(baseline, 4, "{results}");
        let (months, days) = (stats_json(&app, &months_question()).await, stats_json(&app, DAYS).await);
        let reports = app.stored_reports().await;
        // Every email sent, so the runs below see the same outbox.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while app.outbox_counts().await.pending > 0 {
            assert!(std::time::Instant::now() < deadline, "the outbox did not empty");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let as_of = (chrono::Utc::now() + chrono::Duration::days(400)).to_rfc3339();

        // A dry run counts and changes nothing.
        let (first, due) = run_retention(&app, &["--dry-run", "--as-of", &as_of], &[]);
        assert!(first.contains("dry run"), "{first}");
        assert_eq!(due["anonymised_reports"], 2, "{due:?}");
        assert_eq!((due["deleted_resolved_reports"], due["deleted_cancelled_reports"]), (4, 3), "{due:?}");
        assert_eq!(due["purged_subscriptions"], 1, "{due:?}");
        assert!(due["removed_tokens"] >= 1, "{due:?}");
        assert_eq!(app.stored_reports().await, reports);
        assert!(staff_view(&app, &admin, &resolved).await.text().await.unwrap().contains(ANNA.0));
        assert!(runs(&app).await.is_empty(), "a dry run is not a run");

        let (first, done) = run_retention(&app, &["--as-of", &as_of], &[]);
        assert!(first.contains("finished"), "{first}");
        for name in ["anonymised_reports", "deleted_resolved_reports", "deleted_cancelled_reports", "purged_subscriptions", "erased_outbox_messages"] {
            assert_eq!(done[name], due[name], "{name}: {done:?}");
        }
        assert!(done["removed_tokens"] >= 1, "{done:?}");
        assert_eq!(send(&app, Method::GET, "/api/v1/staff/reports", Some(&admin), None).await.status(), 401, "the expired session is gone");
        let admin = admin_token(&app).await;

        // Nothing personal of the closed reports survives, anywhere in the database.
        let everything = whole_database(&app);
        for seeded in [ANNA.0, ANNA.1, ANNA.2, CARLA.0, CARLA.1, CARLA.2, BERT, EVA] {
            assert!(!everything.contains(seeded), "{seeded} is still in the database");
        }
        // Nothing else is lost: the open report keeps its reporter, the resolved one its
        // text, the statistics and the project their figures.
        assert!(everything.contains(DIRK.0), "the open report's reporter is kept");
        let view: Value = staff_view(&app, &admin, &open).await.json().await.unwrap();
        assert_eq!(view["reporter"]["email"], DIRK.0);
        let view: Value = staff_view(&app, &admin, &resolved).await.json().await.unwrap();
        assert!(view["reporter"].is_null(), "{view}");
        assert_eq!(view["description"], "De lamp brandt niet");
        let notes: Vec<&Value> = view["history"].as_array().unwrap().iter().filter(|h| h["action"] == "reporter_anonymised").collect();
        assert_eq!(notes.len(), 1, "one history entry says it happened: {view}");
        assert!(!notes[0].to_string().contains("anna"), "and not what was erased");
        assert_eq!(staff_view(&app, &admin, &cancelled).await.status(), 404, "the cancelled report is deleted");
        assert_eq!(app.stored_reports().await, reports - 7);
        assert_eq!(stats_json(&app, &months_question()).await, months, "monthly statistics (the roll-up)");
        assert_eq!(stats_json(&app, DAYS).await, days, "daily statistics (read from reports and records)");
        assert_eq!(project_results(&app, &admin, &project).await, results, "the project's results");

        // A second run finds nothing left to do (but the session logged in since, which
        // has expired by then too).
        let (_, again) = run_retention(&app, &["--as-of", &as_of], &[]);
        for (name, n) in again.iter().filter(|(name, _)| *name != "removed_tokens") {
            assert_eq!(*n, 0, "{name} ran twice: {again:?}");
        }
        let logged = runs(&app).await;
        assert_eq!(logged.len(), 2);
        assert_eq!(logged[1]["outcome"], "finished");
        assert_eq!(logged[1]["deleted_resolved_reports"], 4);
        assert_eq!(logged[1]["trigger"], "command");
        assert!(!serde_json::to_string(&logged).unwrap().contains("example.nl"));
    }
}
