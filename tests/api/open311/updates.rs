//! The `servicerequestupdates` extension: creation, status changes and public notes (never
//! internal ones), in the order they were recorded, paged with an `update_id` cursor that
//! neither skips nor repeats updates while new ones arrive between two pages.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::TestApp;
use crate::support::backends::on_both_backends;
use crate::support::open311::*;
use crate::support::staff::{admin_token, send, spawn_staff_app};

/// Moves an Open311 request to `to` (with an optional public text) as `admin`.
async fn transition(app: &TestApp, admin: &str, request: &str, to: &str, text: Option<&str>) {
    let id = earlier_token(app, request).await;
    let path = format!("/api/v1/staff/reports/{id}/transitions");
    let response = send(app, Method::POST, &path, Some(admin), Some(json!({"to": to, "text": text}))).await;
    assert_eq!(response.status(), 200, "{to}: {}", response.text().await.unwrap_or_default());
}

/// Adds a note with `visibility` to an Open311 request as `admin`.
async fn note(app: &TestApp, admin: &str, request: &str, text: &str, visibility: &str) {
    let id = earlier_token(app, request).await;
    let path = format!("/api/v1/staff/reports/{id}/notes");
    let response =
        send(app, Method::POST, &path, Some(admin), Some(json!({"text": text, "visibility": visibility}))).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
}

/// The updates of a JSON answer.
fn updates(json: &Value) -> Vec<Value> {
    json["service_request_updates"].as_array().unwrap_or_else(|| panic!("no list: {json}")).clone()
}

fn update_ids(updates: &[Value]) -> Vec<i64> {
    updates.iter().map(|u| u["update_id"].as_str().unwrap().parse::<i64>().unwrap()).collect()
}

on_both_backends! {
    async fn service_request_updates_list_the_creation_of_requests_since_a_time(app) {
        let before = chrono::Utc::now() - chrono::Duration::seconds(5);
        let id = post_ok(&app, &bulky_waste()).await;
        let since = before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (status, json) = get_json(&app, &format!("/servicerequestupdates.json?start_date={since}")).await;
        assert_eq!(status, 200);
        let updates = json["service_request_updates"].as_array().unwrap();
        assert_eq!(updates.len(), 1, "{json}");
        assert_eq!(updates[0]["service_request_id"], id.as_str());
        assert_eq!(updates[0]["status"], "open");
        assert_eq!(updates[0]["external_status_code"], "new");
        assert!(updates[0]["update_id"].as_str().is_some_and(|u| !u.is_empty()));
        let (status, xml) = get_xml(&app, &format!("/servicerequestupdates.xml?start_date={since}")).await;
        assert_eq!(status, 200);
        let document = roxmltree::Document::parse(&xml).unwrap();
        assert!(document.root_element().has_tag_name("service_request_updates"));
        let update = children(document.root_element(), "request_update").next().unwrap();
        assert_eq!(child_text(update, "service_request_id"), Some(id.as_str()));
        for field in ["update_id", "status", "updated_datetime", "description", "media_url"] {
            assert!(child_text(update, field).is_some() || update.children().any(|c| c.has_tag_name(field)), "{field}: {xml}");
        }
        let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let (_, none) = get_json(&app, &format!("/servicerequestupdates.json?start_date={later}&end_date={later}")).await;
        assert!(none["service_request_updates"].as_array().unwrap().is_empty());
        expect_xml_error(app.get(&format!("{BASE}/servicerequestupdates.xml?start_date=vandaag")).await, 400).await;
    }

}

on_both_backends! {
    setup = spawn_staff_app;

    async fn status_changes_and_public_notes_are_updates_and_internal_notes_are_not(app) {
        let admin = admin_token(&app).await;
        let since = (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let request = post_ok(&app, &bulky_waste()).await;
        transition(&app, &admin, &request, "accepted", None).await;
        note(&app, &admin, &request, "Buurman heeft gebeld.", "internal").await;
        transition(&app, &admin, &request, "cancelled", Some("Al opgehaald door de eigenaar.")).await;
        note(&app, &admin, &request, "Bedankt voor het melden.", "public").await;
        let (status, json) = get_json(&app, &format!("/servicerequestupdates.json?start_date={since}")).await;
        assert_eq!(status, 200, "{json}");
        let listed = updates(&json);
        let seen: Vec<(&str, &str, &str)> = listed
            .iter()
            .map(|u| (u["status"].as_str().unwrap(), u["external_status_code"].as_str().unwrap(), u["description"].as_str().unwrap()))
            .collect();
        assert_eq!(seen, [
            ("open", "new", ""),
            ("open", "accepted", ""),
            ("closed", "cancelled", "Al opgehaald door de eigenaar."),
            ("closed", "cancelled", "Bedankt voor het melden."),
        ], "{json}");
        assert!(listed.iter().all(|u| u["service_request_id"] == request.as_str()));
        let ids = update_ids(&listed);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in the order they were recorded: {ids:?}");
        assert!(!json.to_string().contains("Buurman"), "an internal note leaked: {json}");
        let (_, xml) = get_xml(&app, &format!("/servicerequestupdates.xml?start_date={since}")).await;
        assert!(xml.contains("Bedankt voor het melden.") && xml.contains("<external_status_code>cancelled") && !xml.contains("Buurman"), "{xml}");
    }

    async fn two_pages_of_updates_neither_skip_nor_repeat_while_new_updates_arrive_between_them(app) {
        let admin = admin_token(&app).await;
        let since = (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let first = post_ok(&app, &bulky_waste()).await;
        let second = post_ok(&app, &bulky_waste()).await;
        transition(&app, &admin, &first, "accepted", None).await;
        note(&app, &admin, &first, "Intern: ploeg B.", "internal").await;
        note(&app, &admin, &first, "Melding ontvangen.", "public").await;
        note(&app, &admin, &second, "We kijken ernaar.", "public").await;
        transition(&app, &admin, &second, "cancelled", Some("Dubbele melding.")).await;
        // Six public updates so far; the first page takes four of them.
        let (_, json) = get_json(&app, &format!("/servicerequestupdates.json?start_date={since}&page_size=4")).await;
        let page_one = updates(&json);
        assert_eq!(page_one.len(), 4, "{json}");
        // New updates arrive between the two pages: a request, a status change, a public note.
        let third = post_ok(&app, &bulky_waste()).await;
        transition(&app, &admin, &first, "in_progress", Some("De ploeg is onderweg.")).await;
        note(&app, &admin, &third, "Gezien, dank u.", "public").await;
        let cursor = update_ids(&page_one).last().copied().unwrap();
        let (_, json) = get_json(&app, &format!("/servicerequestupdates.json?start_date={since}&page_size=4&after={cursor}")).await;
        let page_two = updates(&json);
        assert_eq!(page_two.len(), 4, "{json}");
        let cursor = update_ids(&page_two).last().copied().unwrap();
        // The XML form pages the same way; the last page is shorter than page_size.
        let (_, xml) = get_xml(&app, &format!("/servicerequestupdates.xml?start_date={since}&page_size=4&after={cursor}")).await;
        let document = roxmltree::Document::parse(&xml).unwrap();
        let page_three: Vec<i64> = children(document.root_element(), "request_update")
            .map(|u| child_text(u, "update_id").unwrap().parse().unwrap())
            .collect();
        assert_eq!(page_three.len(), 1, "{xml}");
        let paged: Vec<i64> = update_ids(&page_one).into_iter().chain(update_ids(&page_two)).chain(page_three).collect();
        let (_, json) = get_json(&app, &format!("/servicerequestupdates.json?start_date={since}")).await;
        let all = updates(&json);
        assert_eq!(paged, update_ids(&all), "the pages together are every update, once, in order");
        let texts: Vec<&str> = all.iter().map(|u| u["description"].as_str().unwrap()).collect();
        for text in ["We kijken ernaar.", "Dubbele melding.", "De ploeg is onderweg.", "Gezien, dank u."] {
            assert!(texts.contains(&text), "{text}: {texts:?}");
        }
        assert!(!texts.iter().any(|t| t.contains("ploeg B")));
        let requests: Vec<&str> = all.iter().map(|u| u["service_request_id"].as_str().unwrap()).collect();
        assert_eq!(requests.iter().filter(|r| **r == third.as_str()).count(), 2);
        // A cursor alone (no start_date) has no 24-hour lower bound: it lists all after it.
        let (_, json) = get_json(&app, "/servicerequestupdates.json?after=0").await;
        assert_eq!(update_ids(&updates(&json)), update_ids(&all));
        let (_, json) = get_json(&app, &format!("/servicerequestupdates.json?after={}", paged.last().unwrap())).await;
        assert!(updates(&json).is_empty(), "{json}");
    }

    async fn malformed_paging_of_updates_is_a_400_saying_what_to_send(app) {
        for (query, says) in [
            ("page=2", "after"),
            ("after=gisteren", "update_id"),
            ("after=-1", "update_id"),
            ("page_size=0", "1 to 1000"),
            ("page_size=1001", "1 to 1000"),
            ("start_date=2026-02-01&end_date=2026-01-01", "start_date"),
        ] {
            let errors = expect_json_error(app.get(&format!("{BASE}/servicerequestupdates.json?{query}")).await, 400).await;
            assert!(errors[0].contains(says), "{query}: {errors:?}");
            expect_xml_error(app.get(&format!("{BASE}/servicerequestupdates.xml?{query}")).await, 400).await;
        }
    }
}

/// PostgreSQL only: SQLite serialises its writers, so its entries commit in id order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_an_update_that_commits_after_a_later_one_is_not_skipped_by_the_cursor() {
    use diesel::{Connection, RunQueryDsl};

    let app = spawn_staff_app(crate::support::app::Backend::Postgres).await;
    let admin = admin_token(&app).await;
    let request = post_ok(&app, &bulky_waste()).await;
    let (_, json) = get_json(&app, "/servicerequestupdates.json?after=0").await;
    let cursor = *update_ids(&updates(&json)).last().unwrap();
    // Another transaction records a public note (drawing the next id) and stays open.
    let report = uuid::Uuid::parse_str(&earlier_token(&app, &request).await).unwrap();
    let (opened, wait_opened) = std::sync::mpsc::channel();
    let (commit, wait_commit) = std::sync::mpsc::channel::<()>();
    let url = app.database_url.clone();
    let writer = std::thread::spawn(move || {
        let mut conn = diesel::PgConnection::establish(&url).unwrap();
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            diesel::sql_query(
                "INSERT INTO report_history (report_id, at, actor, action, details) \
                 VALUES ($1, now(), 'staff:test', 'note', '{\"visibility\": \"public\", \"text\": \"Eerder begonnen.\"}')",
            )
            .bind::<diesel::sql_types::Uuid, _>(report)
            .execute(c)?;
            opened.send(()).unwrap();
            wait_commit.recv().unwrap();
            Ok(())
        })
        .unwrap();
    });
    wait_opened.recv().unwrap();
    // A later change commits first: it waits until the older transaction is done.
    transition(&app, &admin, &request, "accepted", None).await;
    let (status, json) = get_json(&app, &format!("/servicerequestupdates.json?after={cursor}")).await;
    assert_eq!(status, 200);
    assert!(updates(&json).is_empty(), "held back while an older transaction is open: {json}");
    commit.send(()).unwrap();
    writer.join().unwrap();
    let (_, json) = get_json(&app, &format!("/servicerequestupdates.json?after={cursor}")).await;
    let page = updates(&json);
    let ids = update_ids(&page);
    assert_eq!(ids.len(), 2, "{json}");
    assert!(ids[0] < ids[1]);
    assert_eq!(page[0]["description"], "Eerder begonnen.");
    assert_eq!(page[1]["external_status_code"], "accepted");
}
