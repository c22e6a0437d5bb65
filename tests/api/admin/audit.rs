//! The privacy officer's export of the audit log (`GET /api/v1/admin/audit`): who saw which
//! reporter's contact, filtered by period, account and action, paged by `Link` header, as
//! JSON and CSV; admins only; bad queries answered with what to change.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{ADMIN_TOKEN, TestApp, expect_problem, pointers, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

/// Files a street light report with a reporter's contact; returns (id, reference).
async fn report_with_contact(app: &TestApp) -> (String, String) {
    let mut body = street_light_report();
    body["reporter"] = json!({"email": "m.peters@example.nl", "name": "Marieke Peters"});
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    (created["id"].as_str().unwrap().to_owned(), created["reference"].as_str().unwrap().to_owned())
}

/// Opens the report as `token`, which shows (and audits) its reporter's contact.
async fn view_contact(app: &TestApp, token: &str, id: &str) {
    let detail: Value =
        send(app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(token), None).await.json().await.unwrap();
    assert_eq!(detail["reporter"]["email"], "m.peters@example.nl", "{detail}");
}

/// The entries of one JSON page.
async fn entries(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let response = send(app, Method::GET, &format!("/api/v1/admin/audit{query}"), Some(token), None).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

/// The target of a `Link: <…>; rel="next"` header, if there is one.
fn next_link(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().unwrap().to_owned();
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    Some(link.trim_start_matches('<').split('>').next().unwrap().to_owned())
}

fn instant(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn the_audit_export_names_who_saw_which_reporters_contact_and_filters_by_period_account_and_action(app) {
        let admin = admin_token(&app).await;
        let (lamp_id, lamp) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let (coordinator_id, coordinator) = staff_account(&app, &admin, "coordinatie@heerlen.example", "coordinator", &[]).await;
        let (id, reference) = report_with_contact(&app).await;
        view_contact(&app, &lamp, &id).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        let between = instant(Utc::now());
        tokio::time::sleep(Duration::from_millis(30)).await;
        view_contact(&app, &coordinator, &id).await;
        view_contact(&app, &coordinator, &id).await;

        let all = entries(&app, &admin, "").await;
        assert_eq!(all.len(), 3, "{all:?}");
        let newest_first: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert!(newest_first.windows(2).all(|w| w[0] > w[1]), "{newest_first:?}");
        let oldest = &all[2];
        assert_eq!(oldest["account_id"], lamp_id.as_str());
        assert_eq!(oldest["account_email"], "lamp@heerlen.example");
        assert_eq!(oldest["account_name"], "Medewerker");
        assert_eq!(oldest["action"], "viewed_reporter_contact");
        assert_eq!(oldest["report_id"], id.as_str());
        assert_eq!(oldest["report_reference"], reference.as_str());
        let at = chrono::DateTime::parse_from_rfc3339(oldest["at"].as_str().unwrap()).unwrap();
        assert!(at < chrono::DateTime::parse_from_rfc3339(&between).unwrap());
        assert!(!json!(all).to_string().contains("m.peters@example.nl"), "the audit names the viewer, not what was seen");

        // By account.
        let lamps = entries(&app, &admin, &format!("?account_id={lamp_id}")).await;
        assert_eq!(lamps.len(), 1);
        assert_eq!(entries(&app, &admin, &format!("?account_id={coordinator_id}")).await.len(), 2);
        // By period: [from, to), as instants and as dates.
        let after: Vec<Value> = entries(&app, &admin, &format!("?from={between}")).await;
        assert_eq!(after.iter().map(|e| e["account_id"].as_str().unwrap()).collect::<Vec<_>>(), [coordinator_id.as_str(); 2]);
        let before = entries(&app, &admin, &format!("?to={between}")).await;
        assert_eq!(before.len(), 1);
        assert_eq!(before[0]["account_id"], lamp_id.as_str());
        assert!(entries(&app, &admin, &format!("?from={between}&to={between}")).await.is_empty());
        let today = Utc::now().date_naive();
        let (yesterday, tomorrow) = (today.pred_opt().unwrap().pred_opt().unwrap(), today.succ_opt().unwrap().succ_opt().unwrap());
        assert_eq!(entries(&app, &admin, &format!("?from={yesterday}&to={tomorrow}")).await.len(), 3);
        assert!(entries(&app, &admin, &format!("?from={tomorrow}")).await.is_empty());
        assert_eq!(entries(&app, &admin, &format!("?from={between}&account_id={lamp_id}")).await.len(), 0);

        // By action: an erasure on request is an entry of its own, by the admin who did it.
        assert!(entries(&app, &admin, "?action=anonymised_reporter").await.is_empty());
        let erased = send(&app, Method::POST, &format!("/api/v1/admin/reports/{id}/anonymise"), Some(&admin),
            Some(json!({"reason": "Verzoek van de melder per e-mail"}))).await;
        assert_eq!(erased.status(), 200);
        let anonymised = entries(&app, &admin, "?action=anonymised_reporter").await;
        assert_eq!(anonymised.len(), 1);
        assert_eq!(anonymised[0]["account_email"], ADMIN_EMAIL);
        assert_eq!(anonymised[0]["report_reference"], reference.as_str());
        assert_eq!(entries(&app, &admin, &format!("?action=viewed_reporter_contact&report_id={id}")).await.len(), 3);
        // By the reference a resident quotes, as they may type it.
        let typed = reference.to_lowercase().replace('-', "");
        assert_eq!(entries(&app, &admin, &format!("?reference={typed}")).await.len(), 4);
        assert!(entries(&app, &admin, "?reference=2222-2222").await.is_empty(), "another reference, no entries");
    }

    async fn paging_through_more_entries_than_a_page_loses_and_repeats_none(app) {
        let admin = admin_token(&app).await;
        let (lamp_id, lamp) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let (id, _) = report_with_contact(&app).await;
        for _ in 0..7 {
            view_contact(&app, &lamp, &id).await;
        }
        let mut path = Some(format!("/api/v1/admin/audit?account_id={lamp_id}&limit=3"));
        let (mut seen, mut sizes) = (Vec::new(), Vec::new());
        while let Some(next) = path.take() {
            let response = send(&app, Method::GET, &next, Some(&admin), None).await;
            assert_eq!(response.status(), 200, "{next}");
            path = next_link(&response);
            if let Some(link) = &path {
                assert!(link.contains(&format!("account_id={lamp_id}")) && link.contains("limit=3"), "the filters stay: {link}");
            }
            let page: Vec<Value> = response.json::<Value>().await.unwrap().as_array().unwrap().clone();
            sizes.push(page.len());
            seen.extend(page.iter().map(|e| e["id"].as_i64().unwrap()));
            if sizes.len() == 1 {
                // Written while the export runs: newer than the first page, so on none.
                view_contact(&app, &lamp, &id).await;
            }
            assert!(sizes.len() < 10, "the pages never end");
        }
        assert_eq!(sizes, [3, 3, 1]);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first across pages: {seen:?}");
        assert_eq!(entries(&app, &admin, &format!("?account_id={lamp_id}&limit=1000")).await.len(), 8);
    }

    async fn the_audit_export_as_csv_has_a_header_and_one_spreadsheet_safe_line_per_entry(app) {
        let admin = admin_token(&app).await;
        let name = "=HYPERLINK(\"https://evil.example\",\"klik\")";
        let created = send(&app, Method::POST, "/api/v1/admin/accounts", Some(&admin), Some(json!({
            "email": "lamp@heerlen.example", "name": name, "role": "department_staff",
            "password": STAFF_PASSWORD, "departments": ["openbare-verlichting"]}))).await;
        assert_eq!(created.status(), 201);
        let account: Value = created.json().await.unwrap();
        let lamp = login(&app, "lamp@heerlen.example", STAFF_PASSWORD).await;
        let (id, reference) = report_with_contact(&app).await;
        view_contact(&app, &lamp, &id).await;
        view_contact(&app, &lamp, &id).await;

        let by_accept = app.client.get(app.url("/api/v1/admin/audit")).bearer_auth(&admin).header("Accept", "text/csv").send().await.unwrap();
        assert_eq!(by_accept.status(), 200);
        assert!(by_accept.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = by_accept.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0], "id,at,account_id,account_email,account_name,action,report_id,report_reference");
        let quoted_name = "\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"klik\"\")\"";
        for line in &lines[1..] {
            let account_id = account["id"].as_str().unwrap();
            let expected = format!(",{account_id},lamp@heerlen.example,{quoted_name},viewed_reporter_contact,{id},{reference}");
            assert!(line.ends_with(&expected), "{line}\nshould end with\n{expected}");
        }

        let by_format = send(&app, Method::GET, "/api/v1/admin/audit?format=csv&limit=1", Some(&admin), None).await;
        assert!(by_format.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let next = next_link(&by_format).expect("a second page");
        assert!(next.contains("format=csv"), "{next}");
        let first = by_format.text().await.unwrap();
        assert_eq!(first.lines().collect::<Vec<_>>(), lines[..2]);
        let second = send(&app, Method::GET, &next, Some(&admin), None).await;
        assert!(next_link(&second).is_none());
        assert_eq!(second.text().await.unwrap().lines().collect::<Vec<_>>(), [lines[0], lines[2]]);
    }

    async fn only_admins_export_the_audit_and_a_bad_query_says_what_to_change(app) {
        let admin = admin_token(&app).await;
        let (_, lamp) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let (_, coordinator) = staff_account(&app, &admin, "coordinatie@heerlen.example", "coordinator", &[]).await;
        let (_, analyst) = staff_account(&app, &admin, "analist@heerlen.example", "analyst", &[]).await;
        expect_problem(send(&app, Method::GET, "/api/v1/admin/audit", None, None).await, 401).await;
        for token in [&lamp, &coordinator, &analyst] {
            expect_problem(send(&app, Method::GET, "/api/v1/admin/audit", Some(token), None).await, 403).await;
        }
        assert_eq!(send(&app, Method::GET, "/api/v1/admin/audit", Some(ADMIN_TOKEN), None).await.status(), 200, "the admin token exports too");

        let bad = send(&app, Method::GET,
            "/api/v1/admin/audit?from=gisteren&account_id=42&report_id=x&reference=K7QM&action=looked&format=xlsx&limit=0&cursor=zz",
            Some(&admin), None).await;
        let problem = expect_problem(bad, 422).await;
        assert_eq!(pointers(&problem), ["/from", "/account_id", "/report_id", "/reference", "/action", "/format", "/limit", "/cursor"], "{problem}");
        assert!(problem["errors"][4]["detail"].as_str().unwrap().contains("viewed_reporter_contact"), "{problem}");
        let reversed = expect_problem(send(&app, Method::GET, "/api/v1/admin/audit?from=2026-12-02&to=2026-12-01", Some(&admin), None).await, 422).await;
        assert_eq!(pointers(&reversed), ["/from"]);
        assert!(reversed["errors"][0]["detail"].as_str().unwrap().contains("after"), "{reversed}");
        let plus = expect_problem(send(&app, Method::GET, "/api/v1/admin/audit?from=2026-12-01T00:00:00+01:00", Some(&admin), None).await, 422).await;
        assert!(plus["errors"][0]["detail"].as_str().unwrap().contains("%2B"), "{plus}");
        assert_eq!(send(&app, Method::GET, "/api/v1/admin/audit?from=2026-12-01T00:00:00%2B01:00", Some(&admin), None).await.status(), 200);
        expect_problem(send(&app, Method::GET, "/api/v1/admin/audit?limit=1001", Some(&admin), None).await, 422).await;
        let unknown = expect_problem(send(&app, Method::GET, "/api/v1/admin/audit?form=csv", Some(&admin), None).await, 400).await;
        assert!(unknown["detail"].as_str().unwrap().contains("form"), "{unknown}");
    }
}
