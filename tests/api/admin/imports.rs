//! The history import through HTTP and the binary: CSV and Open311 files, areas and
//! routing as intake does them, historical times, no email, idempotency, refusals by line
//! and field, and `skip_invalid`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::process::captured;
use crate::support::staff::*;

const PATH: &str = "/api/v1/admin/imports/reports";
const HEADER: &str = "source_id,category,description,lat,lon,created_at,closed_at,final_status,department";
/// A buurt of Heerlen (Akerstraat).
const BUURT: &str = "BU09173300";

/// Three historical reports: resolved (local time), open under a main category (RFC 3339),
/// and cancelled with a department of its own.
fn history_csv() -> String {
    [
        HEADER,
        "H-1,grofvuil,Bank op de stoep,50.8882,5.9795,2024-03-01 09:30:00,2024-03-04 12:00:00,resolved,",
        "H-2,afval,,50.8882,5.9795,2024-03-01T09:30:00+01:00,,in_progress,",
        "H-3,straatverlichting-openbare-klok,\"Lamp kapot, al dagen\",50.8882,5.9795,2023-11-01 20:00:00,2023-11-02 08:00:00,cancelled,toezicht-en-handhaving",
    ]
    .join("\n")
}

async fn import(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>, query: &str) -> reqwest::Response {
    app.admin(Method::POST, &format!("{PATH}{query}"))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn import_ok(app: &TestApp, content_type: &str, body: impl Into<reqwest::Body>, query: &str) -> Value {
    let response = import(app, content_type, body, query).await;
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Every report in the staff queue (one page is enough here), by source_id-free detail.
async fn details(app: &TestApp, token: &str) -> Vec<Value> {
    let page: Value = send(app, Method::GET, "/api/v1/staff/reports?limit=200&sort=created_at", Some(token), None)
        .await
        .json()
        .await
        .unwrap();
    let mut found = Vec::new();
    for item in page["items"].as_array().unwrap() {
        let path = format!("/api/v1/staff/reports/{}", item["id"].as_str().unwrap());
        let response = send(app, Method::GET, &path, Some(token), None).await;
        assert_eq!(response.status(), 200);
        found.push(response.json().await.unwrap());
    }
    found
}

/// The detail whose `created` history entry names `source_id`.
fn by_source_id<'a>(details: &'a [Value], source_id: &str) -> &'a Value {
    details
        .iter()
        .find(|d| d["history"][0]["details"]["source_id"] == source_id)
        .unwrap_or_else(|| panic!("no report with source_id {source_id}"))
}

/// A category of the admin API by slug.
async fn category(app: &TestApp, slug: &str) -> Value {
    let (status, all) = app.admin_json(Method::GET, "/api/v1/admin/categories", None).await;
    assert_eq!(status, 200);
    all.as_array().unwrap().iter().find(|c| c["slug"] == slug).cloned().unwrap()
}

fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&chrono::Utc)
}

/// `(source_id, lifecycle, settled)` of every report, read from the rows: statistics read
/// these columns, and their API is not there yet.
async fn statistics_columns(app: &TestApp) -> Vec<(Option<String>, String, bool)> {
    let db = app.database();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use meldpunt::storage::schema::reports;
        let mut conn = db.conn().unwrap();
        reports::table
            .select((reports::source_id, reports::lifecycle, reports::settled_at.is_not_null()))
            .order(reports::source_id)
            .load::<(Option<String>, String, bool)>(&mut *conn)
            .unwrap()
    })
    .await
    .unwrap()
}

/// A multipart body with the parts `(name, file name, bytes)`.
fn multipart(parts: &[(&str, &str, &str)]) -> (String, Vec<u8>) {
    let boundary = "meldpunt-import-boundary";
    let mut body = Vec::new();
    for (name, file_name, content) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n{content}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn a_csv_import_stamps_areas_routes_and_keeps_the_historical_times_without_sending_mail(app) {
        let answer = import_ok(&app, "text/csv", history_csv(), "").await;
        assert_eq!(answer, json!({"format": "csv", "rows": 3, "imported": 3, "skipped_existing": 0, "refused_rows": 0, "refused": []}));
        let token = admin_token(&app).await;
        let details = details(&app, &token).await;
        assert_eq!(details.len(), 3);
        for detail in &details {
            assert_eq!(detail["source"], "import", "{detail}");
            assert_eq!(detail["area"]["buurt"]["code"], BUURT, "{detail}");
            assert_eq!(detail["area"]["gemeente"]["code"], "GM0917", "{detail}");
            assert!(detail["reporter"].is_null(), "an import stores no contact");
            assert!(detail["history"].as_array().unwrap().iter().all(|h| h["actor"] == "import"), "{detail}");
        }

        let resolved = by_source_id(&details, "H-1");
        let grofvuil = category(&app, "grofvuil").await;
        assert_eq!((resolved["status"].as_str(), resolved["category"]["slug"].as_str()), (Some("resolved"), Some("grofvuil")));
        assert_eq!(resolved["department"]["slug"], grofvuil["default_department"], "routed like intake");
        assert_eq!(resolved["routing"]["reason"], "category_default");
        // 09:30 in Amsterdam (winter time) is 08:30 UTC; the deadline runs from then.
        let created = instant("2024-03-01T08:30:00Z");
        let closed = instant("2024-03-04T11:00:00Z");
        assert_eq!(instant(resolved["created_at"].as_str().unwrap()), created);
        assert_eq!(instant(resolved["updated_at"].as_str().unwrap()), closed);
        let hours = grofvuil["handling_hours"].as_i64().unwrap();
        assert_eq!(instant(resolved["deadline_at"].as_str().unwrap()), created + chrono::Duration::hours(hours));
        let history = resolved["history"].as_array().unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!((history[0]["action"].as_str(), instant(history[0]["at"].as_str().unwrap())), (Some("created"), created));
        assert_eq!((history[1]["action"].as_str(), instant(history[1]["at"].as_str().unwrap())), (Some("status_changed"), closed));
        assert_eq!(history[1]["details"], json!({"from": "new", "to": "resolved", "text": null}));

        let open = by_source_id(&details, "H-2");
        assert_eq!((open["status"].as_str(), open["category"]["slug"].as_str()), (Some("in_progress"), Some("overig-afval")), "a main category files under its 'overig' subcategory");
        assert_eq!(open["created_at"], open["updated_at"]);

        let cancelled = by_source_id(&details, "H-3");
        assert_eq!(cancelled["department"]["slug"], "toezicht-en-handhaving", "the row's department wins");
        assert_eq!((cancelled["routing"]["reason"].as_str(), cancelled["routing"]["department_locked"].as_bool()), (Some("manual"), Some(true)));
        assert_eq!(cancelled["description"], "Lamp kapot, al dagen");

        assert_eq!(
            statistics_columns(&app).await,
            vec![
                (Some("H-1".into()), format!("R{}", closed.timestamp()), true),
                (Some("H-2".into()), String::new(), false),
                (Some("H-3".into()), format!("C{}", instant("2023-11-02T07:00:00Z").timestamp()), true),
            ]
        );
        // A little later the outbox worker and the alert job have had their turn: still nothing.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(app.outbox_counts().await, meldpunt::storage::outbox::OutboxCounts::default(), "no email queued");
    }

    async fn importing_the_same_file_twice_adds_nothing(app) {
        import_ok(&app, "text/csv", history_csv(), "").await;
        let again = import_ok(&app, "text/csv", history_csv(), "").await;
        assert_eq!((again["imported"].as_u64(), again["skipped_existing"].as_u64()), (Some(0), Some(3)));
        assert_eq!(app.stored_reports().await, 3);
    }

    async fn a_bad_row_is_refused_by_line_and_field_and_nothing_is_stored(app) {
        let file = [
            HEADER,
            "B-1,grofvuil,goed,50.8882,5.9795,2024-03-01 09:30:00,2024-03-02 09:30:00,resolved,",
            "B-2,fietswrak-oud,,50.8882,5.9795,2024-03-01 09:30:00,,new,",
            "B-3,grofvuil,,95.1,5.9795,2024-03-01 09:30:00,,new,",
            "B-4,grofvuil,,50.8882,5.9795,2024-03-05 09:30:00,2024-03-04 09:30:00,resolved,",
            "B-5,grofvuil,,50.8882,5.9795,2024-03-01 09:30:00,,klaar,",
            "B-1,grofvuil,,50.8882,5.9795,2024-03-01 09:30:00,,new,",
            "B-7,grofvuil,,52.3702,4.8952,2024-03-01 09:30:00,,new,",
            "B-8,fietswrak-oud,,52.3702,4.8952,2024-03-01 09:30:00,,new,",
        ]
        .join("\n");
        let problem = expect_problem(import(&app, "text/csv", file, "").await, 422).await;
        assert_eq!(
            pointers(&problem),
            ["/rows/3/category", "/rows/4/lat", "/rows/5/closed_at", "/rows/6/final_status", "/rows/7/source_id", "/rows/8/lat", "/rows/9/category", "/rows/9/lat"]
        );
        let detail = |pointer: &str| {
            problem["errors"].as_array().unwrap().iter().find(|e| e["pointer"] == pointer).unwrap()["detail"].as_str().unwrap().to_owned()
        };
        assert!(detail("/rows/3/category").contains("category mapping file"));
        assert!(detail("/rows/5/closed_at").contains("before created_at"));
        assert!(detail("/rows/7/source_id").contains("also on line 2"));
        assert!(detail("/rows/8/lat").contains("does not cover"));
        assert_eq!(app.stored_reports().await, 0, "all or nothing");

        let problem = expect_problem(import(&app, "text/csv", "source_id,category,lat\nX,grofvuil,50\n", "").await, 422).await;
        assert!(pointers(&problem).contains(&"/rows/1/created_at".to_owned()), "{problem}");
        let problem = expect_problem(import(&app, "text/csv", history_csv(), "?skip_invalid=ja&format=xml").await, 422).await;
        assert_eq!(pointers(&problem), ["/format", "/skip_invalid"]);
        expect_problem(import(&app, "application/xml", "<service_requests/>", "").await, 415).await;
        expect_problem(import(&app, "application/json", "[{", "").await, 400).await;
        assert_eq!(app.stored_reports().await, 0);
    }

    async fn with_skip_invalid_the_valid_rows_are_imported_and_the_refused_ones_listed(app) {
        let file = format!("{}\nS-1,grofvuil,,50.8882,5.9795,2024-03-01 09:30:00,,geen-status,\n", history_csv());
        let answer = import_ok(&app, "text/csv", file, "?skip_invalid=true").await;
        assert_eq!((answer["rows"].as_u64(), answer["imported"].as_u64(), answer["refused_rows"].as_u64()), (Some(4), Some(3), Some(1)));
        assert_eq!(answer["refused"], json!([{
            "line": 5,
            "pointer": "/rows/5/final_status",
            "detail": answer["refused"][0]["detail"],
        }]));
        assert_eq!(app.stored_reports().await, 3);
    }

    async fn a_category_mapping_file_turns_old_names_into_slugs(app) {
        let file = [HEADER, "M-1,Grof Huisvuil,,50.8882,5.9795,2024-03-01 09:30:00,,new,"].join("\n");
        let (content_type, body) = multipart(&[
            ("file", "export.csv", &file),
            ("category_map", "map.csv", "old_name,slug\ngrof huisvuil,grofvuil\n"),
        ]);
        let answer = import_ok(&app, &content_type, body, "").await;
        assert_eq!(answer["imported"], 1, "{answer}");
        let token = admin_token(&app).await;
        assert_eq!(details(&app, &token).await[0]["category"]["slug"], "grofvuil");

        let (content_type, body) = multipart(&[("file", "export.csv", &file), ("category_map", "map.csv", "Grof Huisvuil,geen-slug\n")]);
        let problem = expect_problem(import(&app, &content_type, body, "").await, 422).await;
        assert_eq!(pointers(&problem), ["/category_map/1/slug"]);
    }

    async fn an_open311_dump_of_meldpunt_imports_into_a_fresh_meldpunt(app) {
        let token = admin_token(&app).await;
        let open_id = crate::support::open311::post_ok(&app, &crate::support::open311::bulky_waste()).await;
        let created: Value = app.post_report(&street_light_report(), None).await.json().await.unwrap();
        let resolve = json!({"to": "resolved", "text": "De lamp is vervangen."});
        let path = format!("/api/v1/staff/reports/{}/transitions", created["id"].as_str().unwrap());
        assert_eq!(send(&app, Method::POST, &path, Some(&token), Some(resolve)).await.status(), 200);
        let dump = app.get("/open311/v2/requests.json").await.text().await.unwrap();
        let requests: Value = serde_json::from_str(&dump).unwrap();
        assert_eq!(requests.as_array().unwrap().len(), 2);

        let fresh = spawn_staff_app(app.backend).await;
        let answer = import_ok(&fresh, "application/json", dump.clone(), "").await;
        assert_eq!((answer["format"].as_str(), answer["imported"].as_u64()), (Some("open311"), Some(2)), "{answer}");
        let fresh_token = admin_token(&fresh).await;
        let details = details(&fresh, &fresh_token).await;
        let closed = by_source_id(&details, created["reference"].as_str().unwrap());
        let original = requests.as_array().unwrap().iter().find(|r| r["service_request_id"] == created["reference"]).unwrap();
        assert_eq!((closed["status"].as_str(), closed["source"].as_str()), (Some("resolved"), Some("import")));
        assert_eq!(instant(closed["updated_at"].as_str().unwrap()), instant(original["updated_datetime"].as_str().unwrap()));
        assert_eq!(closed["history"][1]["details"]["text"], "De lamp is vervangen.");
        let open = by_source_id(&details, &open_id);
        assert_eq!((open["status"].as_str(), open["category"]["slug"].as_str()), (Some("new"), Some("grofvuil")));
        assert_eq!(open["area"]["buurt"]["code"], BUURT);
        assert_eq!(fresh.outbox_counts().await, meldpunt::storage::outbox::OutboxCounts::default());
        let again = import_ok(&fresh, "application/json", dump, "").await;
        assert_eq!(again["skipped_existing"], 2);
    }

    async fn the_cli_imports_a_file_and_refuses_a_bad_one_with_a_non_zero_exit(app) {
        let dir = tempfile::tempdir().unwrap();
        let run = |file: &std::path::Path, extra: &[&str]| {
            captured(std::process::Command::new(env!("CARGO_BIN_EXE_meldpunt"))
                .args(["import", "reports"]).arg(file).args(extra)
                .env("DATABASE_URL", &app.database_url)
                .env("MELDPUNT_LOG", "debug")
                .env("RUST_BACKTRACE", "0"))
        };
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, format!("{}\nX-1,grofvuil,,50.8882,5.9795,2099-01-01 00:00:00,,new,\n", history_csv())).unwrap();
        let output = run(&bad, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains("line 5: /rows/5/created_at:") && stderr.contains("future"), "{stderr}");
        assert!(stderr.contains("nothing was imported"), "{stderr}");
        assert_eq!(app.stored_reports().await, 0);

        let good = dir.path().join("history.txt");
        std::fs::write(&good, history_csv()).unwrap();
        let map = dir.path().join("map.csv");
        std::fs::write(&map, "old_name,slug\n").unwrap();
        let output = run(&good, &["--format", "csv", "--category-map", map.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout} {}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("imported 3 reports") && stdout.contains("0 already imported"), "{stdout}");
        let output = run(&bad, &["--skip-invalid"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success());
        assert!(stdout.contains("imported 0 reports") && stdout.contains("3 already imported") && stdout.contains("1 refused (1 problems)"), "{stdout}");
        let token = admin_token(&app).await;
        assert_eq!(details(&app, &token).await.len(), 3, "the running server reads what the CLI stored");
    }
}
