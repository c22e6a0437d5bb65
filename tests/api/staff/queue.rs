//! The staff queue: visibility per department, filters, full-text search, sorting and
//! cursor pagination.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{TestApp, expect_problem, pointers, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

async fn file(app: &TestApp, category: &str, description: &str) -> String {
    let mut body = street_light_report();
    body["category"] = json!(category);
    body["description"] = json!(description);
    body["answers"] = json!({});
    if category == "straatverlichting-openbare-klok" {
        body["answers"] = street_light_report()["answers"].clone();
    }
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    let created: Value = response.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

async fn queue(app: &TestApp, token: &str, query: &str) -> Value {
    let response = send(app, Method::GET, &format!("/api/v1/staff/reports{query}"), Some(token), None).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn department_staff_see_only_their_own_queue(app) {
        let admin = admin_token(&app).await;
        let (_, lamp) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let (_, coordinator) = staff_account(&app, &admin, "coord@heerlen.example", "coordinator", &[]).await;
        let (_, analyst) = staff_account(&app, &admin, "cijfers@heerlen.example", "analyst", &[]).await;
        let light = file(&app, "straatverlichting-openbare-klok", "Lamp kapot bij de kerk").await;
        let litter = file(&app, "veeg-zwerfvuil", "Zwerfvuil bij de bushalte").await;
        assert_eq!(ids(&queue(&app, &lamp, "").await), vec![light.clone()]);
        assert_eq!(ids(&queue(&app, &coordinator, "").await), vec![litter.clone(), light.clone()], "newest first");
        assert_eq!(ids(&queue(&app, &lamp, "?department=beheer-openbare-ruimte").await), Vec::<String>::new());
        expect_problem(send(&app, Method::GET, "/api/v1/staff/reports", Some(&analyst), None).await, 403).await;
        expect_problem(send(&app, Method::GET, "/api/v1/staff/reports", None, None).await, 401).await;
    }

    async fn the_queue_filters_by_status_category_department_area_and_overdue(app) {
        let admin = admin_token(&app).await;
        let light = file(&app, "straatverlichting-openbare-klok", "Lamp kapot bij de kerk").await;
        let litter = file(&app, "veeg-zwerfvuil", "Zwerfvuil bij de bushalte").await;
        let moved = send(&app, Method::POST, &format!("/api/v1/staff/reports/{light}/transitions"), Some(&admin), Some(json!({"to": "accepted"}))).await;
        assert_eq!(moved.status(), 200);
        assert_eq!(ids(&queue(&app, &admin, "?status=accepted").await), vec![light.clone()]);
        assert_eq!(ids(&queue(&app, &admin, "?status=new,accepted").await).len(), 2);
        assert_eq!(ids(&queue(&app, &admin, "?category=veeg-zwerfvuil").await), vec![litter.clone()]);
        assert_eq!(ids(&queue(&app, &admin, "?department=openbare-verlichting").await), vec![light.clone()]);
        assert_eq!(ids(&queue(&app, &admin, "?gemeente=GM0917").await).len(), 2);
        assert_eq!(ids(&queue(&app, &admin, "?gemeente=GM0363").await).len(), 0);
        assert_eq!(ids(&queue(&app, &admin, "?overdue=true").await).len(), 0, "fresh reports are not overdue");
        assert_eq!(ids(&queue(&app, &admin, "?overdue=false").await).len(), 2);
        let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(ids(&queue(&app, &admin, &format!("?created_from={future}")).await).len(), 0);
        assert_eq!(ids(&queue(&app, &admin, &format!("?created_to={future}")).await).len(), 2);
        let item = &queue(&app, &admin, "?status=accepted").await["items"][0];
        assert_eq!(item["category"], "straatverlichting-openbare-klok");
        assert_eq!(item["department"], "openbare-verlichting");
        assert_eq!(item["overdue"], false);
    }

    async fn full_text_search_finds_reports_by_their_words(app) {
        let admin = admin_token(&app).await;
        let church = file(&app, "veeg-zwerfvuil", "Glasscherven naast de kerk op het plein").await;
        let _stop = file(&app, "veeg-zwerfvuil", "Zwerfvuil bij de bushalte").await;
        assert_eq!(ids(&queue(&app, &admin, "?q=glasscherven").await), vec![church.clone()]);
        assert_eq!(ids(&queue(&app, &admin, "?q=Kerk%20plein").await), vec![church.clone()]);
        assert_eq!(ids(&queue(&app, &admin, "?q=fietswrak").await).len(), 0);
        assert_eq!(ids(&queue(&app, &admin, "?q=%22kerk%22%20*%20(%20-").await), vec![church], "query syntax in the words is harmless");
    }

    async fn cursor_pagination_walks_the_queue_without_gaps_or_repeats(app) {
        let admin = admin_token(&app).await;
        let mut filed = Vec::new();
        for n in 0..5 {
            filed.push(file(&app, "veeg-zwerfvuil", &format!("Zwerfvuil nummer {n}")).await);
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor { Some(c) => format!("?sort=created_at&limit=2&cursor={c}"), None => "?sort=created_at&limit=2".into() };
            let page = queue(&app, &admin, &query).await;
            assert!(page["items"].as_array().unwrap().len() <= 2);
            seen.extend(ids(&page));
            match page["next_cursor"].as_str() { Some(next) => cursor = Some(next.to_owned()), None => break }
        }
        assert_eq!(seen, filed, "oldest first, each once");
        let sorted = queue(&app, &admin, "?sort=deadline_at").await;
        assert_eq!(ids(&sorted).len(), 5);
        assert_eq!(ids(&queue(&app, &admin, "?sort=priority").await).len(), 5);
    }

    async fn bad_queue_filters_are_named_in_the_problem(app) {
        let admin = admin_token(&app).await;
        let response = send(&app, Method::GET, "/api/v1/staff/reports?status=kapot&category=geen&department=niets&priority=urgent&limit=0&cursor=zz", Some(&admin), None).await;
        let problem = expect_problem(response, 422).await;
        let named = pointers(&problem);
        for pointer in ["/status", "/category", "/department", "/priority", "/limit", "/cursor"] {
            assert!(named.contains(&pointer.to_owned()), "{pointer} in {problem}");
        }
        expect_problem(send(&app, Method::GET, "/api/v1/staff/reports?overdue=perhaps", Some(&admin), None).await, 400).await;
        expect_problem(send(&app, Method::GET, "/api/v1/staff/reports?sort=random", Some(&admin), None).await, 400).await;
    }
}

/// The queue as it will look at `now` (read directly: the API always judges at the present).
async fn queue_at(app: &TestApp, now: chrono::DateTime<chrono::Utc>, overdue: Option<bool>) -> Vec<String> {
    let url = app.database_url.clone();
    tokio::task::spawn_blocking(move || {
        let db = meldpunt::storage::Database::open(&meldpunt::storage::DatabaseSettings {
            url,
            pool_size: 2,
            pool_timeout: std::time::Duration::from_secs(5),
            sqlite_synchronous: meldpunt::storage::SqliteSynchronous::Full,
        })
        .unwrap();
        let filter = meldpunt::storage::queue::QueueFilter {
            departments_allowed: None,
            statuses: vec![],
            categories: vec![],
            departments: vec![],
            gemeenten: vec![],
            wijken: vec![],
            buurten: vec![],
            priorities: vec![],
            assignee: None,
            created_from: None,
            created_to: None,
            overdue,
            now,
            words: vec![],
            order: meldpunt::storage::queue::QueueOrder::DeadlineFirst,
            offset: 0,
            limit: 50,
        };
        meldpunt::storage::queue::list(&mut db.conn().unwrap(), &filter)
            .unwrap()
            .into_iter()
            .map(|item| item.report.id.to_string())
            .collect()
    })
    .await
    .unwrap()
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn open_reports_past_their_deadline_are_overdue_and_closed_ones_never(app) {
        let admin = admin_token(&app).await;
        let open = file(&app, "straatverlichting-openbare-klok", "Lamp kapot").await;
        let closed = file(&app, "veeg-zwerfvuil", "Zwerfvuil").await;
        let resolved = send(&app, Method::POST, &format!("/api/v1/staff/reports/{closed}/transitions"), Some(&admin),
            Some(json!({"to": "resolved", "text": "Opgeruimd."}))).await;
        assert_eq!(resolved.status(), 200);
        let detail: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{open}"), Some(&admin), None).await.json().await.unwrap();
        let deadline: chrono::DateTime<chrono::Utc> = detail["deadline_at"].as_str().expect("the category sets a deadline").parse().unwrap();
        let later = deadline + chrono::Duration::hours(1);
        assert_eq!(queue_at(&app, later, Some(true)).await, vec![open.clone()]);
        assert_eq!(queue_at(&app, later, Some(false)).await, vec![closed.clone()]);
        assert_eq!(queue_at(&app, chrono::Utc::now(), Some(true)).await, Vec::<String>::new());
    }
}
