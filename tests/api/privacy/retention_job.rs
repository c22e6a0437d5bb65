//! The retention job as operators run it: stopped half-way and run again it finishes and
//! does nothing twice, two processes at once do the work once, the daily run happens once
//! however many servers share the database, and bad retention settings stop the start.

use std::process::Command;

use super::support::{counts_of, retention_command, run_retention, runs};
use crate::analyst::stats::{BU09171000, stats_json};
use crate::support::app::{spawn_app, spawn_app_with};
use crate::support::backends::on_both_backends;
use crate::support::process::captured;

/// `n` reports cancelled in 2023, past their term now.
fn cancelled_history(n: usize) -> String {
    let mut history = crate::support::history::History::new("OLD", "Afval");
    history.add(n, "straatverlichting-openbare-klok", BU09171000, "2023-03-01", "2023-03-02 10:00:00", "cancelled");
    history.csv()
}

const YEAR: &str =
    "level=buurt&buurt=BU09171000&period=month&from=2023-01&to=2023-12&category=wegen-verkeer-straatmeubilair";
const DAYS: &str =
    "level=buurt&buurt=BU09171000&period=day&from=2023-02-01&to=2023-03-31&category=wegen-verkeer-straatmeubilair";

on_both_backends! {
    async fn a_run_stopped_half_way_is_finished_by_the_next_which_does_nothing_twice(backend: Backend) {
        let app = spawn_app(backend).await;
        crate::support::history::import(&app, cancelled_history(5)).await;
        let (months, days) = (stats_json(&app, YEAR).await, stats_json(&app, DAYS).await);
        let small = [("MELDPUNT_RETENTION_BATCH", "2")];
        let (first, stopped) = run_retention(&app, &["--max-batches", "1"], &small);
        assert!(first.contains("stopped"), "{first}");
        assert_eq!(stopped["deleted_cancelled_reports"], 2);
        assert_eq!(app.stored_reports().await, 3);
        assert_eq!(stats_json(&app, DAYS).await, days, "half-way, every report counts once");
        let (first, rest) = run_retention(&app, &[], &small);
        assert!(first.contains("finished"), "{first}");
        assert_eq!(rest["deleted_cancelled_reports"], 3);
        assert_eq!(app.stored_reports().await, 0);
        let (_, again) = run_retention(&app, &[], &small);
        assert_eq!(again["deleted_cancelled_reports"], 0);
        assert_eq!(stats_json(&app, YEAR).await, months);
        assert_eq!(stats_json(&app, DAYS).await, days);
        // Rebuilding the roll-up from what is left counts the records too.
        let output = captured(Command::new(env!("CARGO_BIN_EXE_meldpunt"))
            .args(["stats", "rebuild"])
            .env("DATABASE_URL", &app.database_url)
            .env("MELDPUNT_LOG", "debug"));
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(stats_json(&app, YEAR).await, months, "after meldpunt stats rebuild");
        let outcomes: Vec<String> = runs(&app).await.iter().map(|r| r["outcome"].as_str().unwrap().to_owned()).collect();
        assert_eq!(outcomes, ["finished", "finished", "stopped"], "newest first");
    }

    async fn two_processes_running_retention_at_once_do_the_work_once(backend: Backend) {
        let app = spawn_app(backend).await;
        crate::support::history::import(&app, cancelled_history(40)).await;
        let days = stats_json(&app, DAYS).await;
        let one = [("MELDPUNT_RETENTION_BATCH", "1")];
        let first = retention_command(&app, &[], &one).spawn().unwrap();
        let second = retention_command(&app, &[], &one).spawn().unwrap();
        let mut deleted = 0;
        for child in [first, second] {
            let (line, counts) = counts_of(&child.wait_with_output().unwrap());
            assert!(line.contains("finished") || line.contains("another process"), "{line}");
            deleted += counts.get("deleted_cancelled_reports").copied().unwrap_or(0);
        }
        assert_eq!(deleted, 40);
        assert_eq!(app.stored_reports().await, 0);
        assert_eq!(stats_json(&app, DAYS).await, days, "each deleted report left one record");
        let logged: i64 = runs(&app).await.iter().map(|r| r["deleted_cancelled_reports"].as_i64().unwrap()).sum();
        assert_eq!(logged, 40);
    }

    async fn servers_sharing_a_database_run_the_daily_retention_once(backend: Backend) {
        let app = spawn_app_with(backend, |s| s.retention_at = "00:00".into()).await;
        crate::support::history::import(&app, cancelled_history(3)).await;
        let _second = crate::support::app::start_on_same_database_with(&app, |s| s.retention_at = "00:00".into()).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        while runs(&app).await.first().is_none_or(|r| r["outcome"] == "running") {
            assert!(std::time::Instant::now() < deadline, "no daily run");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let logged = runs(&app).await;
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert_eq!(logged[0]["trigger"], "schedule");
    }
}

#[test]
fn a_retention_term_below_its_floor_or_not_a_number_stops_the_start_naming_the_setting() {
    for (name, value, expected) in [
        ("MELDPUNT_RETENTION_ANONYMISE_DAYS", "10", "retention_anonymise_days must be at least 30"),
        ("MELDPUNT_RETENTION_RESOLVED_DAYS", "30", "retention_resolved_days must be at least 365"),
        ("MELDPUNT_RETENTION_CANCELLED_DAYS", "een jaar", "MELDPUNT_RETENTION_CANCELLED_DAYS must be a whole number"),
        ("MELDPUNT_RETENTION_AT", "half vier", "retention_at must be a time of day"),
    ] {
        let output = captured(
            Command::new(env!("CARGO_BIN_EXE_meldpunt"))
                .env(name, value)
                .env("MELDPUNT_LISTEN", "127.0.0.1:0")
                .env("DATABASE_URL", "sqlite://never-created/meldpunt.sqlite3"),
        );
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{name}={value}: {stderr}");
    }
}

on_both_backends! {
    async fn a_run_killed_half_way_is_finished_by_the_next_once_its_lease_expires(backend: Backend) {
        let app = spawn_app(backend).await;
        crate::support::history::import(&app, cancelled_history(60)).await;
        let days = stats_json(&app, DAYS).await;
        let env = [("MELDPUNT_RETENTION_BATCH", "1"), ("MELDPUNT_RETENTION_LEASE_SECONDS", "1")];
        let mut killed = retention_command(&app, &[], &env).spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while app.stored_reports().await > 50 {
            assert!(std::time::Instant::now() < deadline, "the run did not start deleting");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        killed.kill().unwrap();
        killed.wait().unwrap();
        let left = app.stored_reports().await;
        assert!(left > 0, "killed before the end");
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let (first, rest) = run_retention(&app, &[], &env);
        assert!(first.contains("finished"), "{first}");
        assert_eq!(rest["deleted_cancelled_reports"], left);
        assert_eq!(app.stored_reports().await, 0);
        assert_eq!(stats_json(&app, DAYS).await, days, "every report counted once, none twice");
        let logged = runs(&app).await;
        let outcomes: Vec<&str> = logged.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, ["finished", "interrupted"]);
        let deleted: i64 = logged.iter().map(|r| r["deleted_cancelled_reports"].as_i64().unwrap()).sum();
        assert!((59..=60).contains(&deleted), "the killed run logged its batches as it went: {deleted}");
    }
}
