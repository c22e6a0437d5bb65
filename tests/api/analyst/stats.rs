//! `GET /api/v1/stats/reports`: measures per area, group and period, who may ask, what is
//! hidden, and what is refused.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{TestApp, expect_problem, pointers};
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

/// Test points of `../shared/data/heerlen-test-points.csv`: one inside each buurt.
pub const BU09171000: (f64, f64) = (50.923975, 5.91321);
pub const BU09171001: (f64, f64) = (50.920036, 5.906117);

const EMAIL: &str = "statistiek.melder@example.nl";
const NAME: &str = "Stientje Statistiek";
const DESCRIPTION: &str = "Een uniek herkenbare omschrijving van Stientje";
const ADDRESS: &str = "Stientjesstraat 77, Heerlen";

/// Files a report with contact details, text and address; returns its id.
pub async fn file(app: &TestApp, category: &str, (lat, lon): (f64, f64)) -> String {
    let mut body = json!({
        "category": category,
        "description": DESCRIPTION,
        "location": {"lat": lat, "lon": lon},
        "address": ADDRESS,
        "reporter": {"email": EMAIL, "name": NAME, "phone": "0455559876"},
    });
    if category == "straatverlichting-openbare-klok" {
        body["answers"] = json!({"probleem": "uit", "aantal_lampen": 1});
    }
    let response = app.post_report(&body, None).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap_or_default());
    let created: Value = response.json().await.unwrap();
    created["id"].as_str().unwrap().to_owned()
}

/// Moves a report to `to` as the bootstrap admin.
pub async fn move_to(app: &TestApp, id: &str, to: &str) {
    let text = matches!(to, "resolved" | "cancelled" | "reopened").then_some("Afgehandeld.");
    let admin = admin_token(app).await;
    let path = format!("/api/v1/staff/reports/{id}/transitions");
    let response = send(app, Method::POST, &path, Some(&admin), Some(json!({"to": to, "text": text}))).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
}

/// Statistics as `token` (the admin token when `None`).
pub async fn stats(app: &TestApp, token: Option<&str>, query: &str) -> reqwest::Response {
    let request = app.client.get(app.url(&format!("/api/v1/stats/reports?{query}")));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request.bearer_auth(crate::support::app::ADMIN_TOKEN),
    };
    request.send().await.unwrap()
}

pub async fn stats_json(app: &TestApp, query: &str) -> Value {
    let response = stats(app, None, query).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    response.json().await.unwrap()
}

/// The rows of one area.
pub fn rows_of<'a>(answer: &'a Value, code: &str) -> Vec<&'a Value> {
    answer["rows"].as_array().unwrap().iter().filter(|r| r["area_code"] == code).collect()
}

fn this_month() -> String {
    chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).format("%Y-%m").to_string()
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn received_resolved_cancelled_reopened_and_the_backlog_are_counted_per_buurt_and_month(app) {
        let ids = [
            file(&app, "straatverlichting-openbare-klok", BU09171000).await,
            file(&app, "straatverlichting-openbare-klok", BU09171000).await,
            file(&app, "straatverlichting-openbare-klok", BU09171000).await,
            file(&app, "straatverlichting-openbare-klok", BU09171001).await,
        ];
        move_to(&app, &ids[0], "resolved").await;
        move_to(&app, &ids[1], "cancelled").await;
        move_to(&app, &ids[2], "resolved").await;
        move_to(&app, &ids[2], "reopened").await;
        let answer = stats_json(&app, "level=buurt&wijk=WK091710&period=month&category=wegen-verkeer-straatmeubilair").await;
        assert_eq!(answer["boundary_year"], 2025);
        assert_eq!(answer["time_zone"], "Europe/Amsterdam");
        assert_eq!(answer["to"], this_month());
        let row = rows_of(&answer, "BU09171000").into_iter().find(|r| r["period"] == this_month().as_str()).unwrap();
        assert_eq!(row["area_name"], "Maria Gewanden");
        assert_eq!((row["received"].as_i64(), row["resolved"].as_i64(), row["cancelled"].as_i64()), (Some(3), Some(2), Some(1)));
        assert_eq!((row["reopened"].as_i64(), row["open_at_end"].as_i64()), (Some(1), Some(1)));
        assert!(row["median_hours_to_resolution"].as_f64().unwrap() < 1.0);
        assert_eq!(row["on_time_share"], 1.0, "resolved well before the deadline: {row}");
        let other = rows_of(&answer, "BU09171001").into_iter().find(|r| r["period"] == this_month().as_str()).unwrap();
        assert_eq!((other["received"].as_i64(), other["open_at_end"].as_i64()), (Some(1), Some(1)));
        // Every buurt of the wijk is listed for every month, zeros included.
        assert_eq!(answer["rows"].as_array().unwrap().len(), 2 * 12);
        let definitions: Vec<&str> = answer["measures"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
        assert!(definitions.contains(&"open_at_end") && definitions.contains(&"late_factor_3_share"));
        assert!(answer["measures"][0]["definition"].as_str().unwrap().len() > 40);
        // Per 1,000 inhabitants with the CBS figure of the nearest earlier year (the seed has 2023 and 2024).
        let rate = stats_json(&app, "level=buurt&buurt=BU09171000&period=month&measures=received,received_per_1000_inhabitants&category=wegen-verkeer-straatmeubilair").await;
        let row = rows_of(&rate, "BU09171000").into_iter().find(|r| r["period"] == this_month().as_str()).unwrap();
        let people = row["inhabitants"].as_i64().unwrap();
        assert_eq!(row["inhabitants_year"], 2024);
        let expected = (3.0 * 1000.0 / people as f64 * 100.0).round() / 100.0;
        assert_eq!(row["received_per_1000_inhabitants"].as_f64(), Some(expected), "{row}");
        assert!(rate["attribution"].as_str().unwrap().contains("CBS"));
        // The wijk level sums its buurten.
        let wijk = stats_json(&app, "level=wijk&area=WK091710&measures=received,open_at_end&category=straatverlichting-openbare-klok").await;
        let row = rows_of(&wijk, "WK091710").into_iter().find(|r| r["period"] == this_month().as_str()).unwrap();
        assert_eq!((row["received"].as_i64(), row["open_at_end"].as_i64()), (Some(4), Some(2)));
        assert!(row.get("resolved").is_none(), "only the measures asked: {row}");
    }

    async fn a_merged_duplicate_counts_once_as_a_me_too_of_its_original(app) {
        let original = file(&app, "straatverlichting-openbare-klok", BU09171000).await;
        let duplicate = file(&app, "straatverlichting-openbare-klok", BU09171000).await;
        let admin = admin_token(&app).await;
        let path = format!("/api/v1/staff/reports/{duplicate}/merge");
        let response = send(&app, Method::POST, &path, Some(&admin), Some(json!({"into": original}))).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
        let answer = stats_json(&app, "level=buurt&buurt=BU09171000&period=month&category=wegen-verkeer-straatmeubilair").await;
        let row = rows_of(&answer, "BU09171000").into_iter().find(|r| r["period"] == this_month().as_str()).unwrap();
        assert_eq!((row["received"].as_i64(), row["cancelled"].as_i64(), row["me_too"].as_i64()), (Some(1), Some(0), Some(1)), "{row}");
    }

    async fn rows_split_by_category_department_and_source_and_csv_says_the_same(app) {
        file(&app, "straatverlichting-openbare-klok", BU09171000).await;
        file(&app, "straatverlichting-openbare-klok", BU09171000).await;
        let answer = stats_json(&app, "level=gemeente&area=GM0917&period=year&group_by=main,department,source").await;
        let rows: Vec<&Value> = answer["rows"].as_array().unwrap().iter().filter(|r| r["received"].as_i64() == Some(2)).collect();
        assert_eq!(rows.len(), 1, "{answer}");
        assert_eq!(rows[0]["main_category"], "wegen-verkeer-straatmeubilair");
        assert_eq!(rows[0]["department"], "openbare-verlichting");
        assert_eq!(rows[0]["source"], "api");
        let response = app
            .client
            .get(app.url("/api/v1/stats/reports?level=gemeente&area=GM0917&period=year&group_by=main&measures=received"))
            .bearer_auth(crate::support::app::ADMIN_TOKEN)
            .header("Accept", "text/csv")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = response.text().await.unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("area_code,area_name,period,period_start,main_category,received,boundary_year"));
        let year = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).format("%Y").to_string();
        assert!(csv.lines().any(|l| l.starts_with(&format!("GM0917,Heerlen,{year},{year}-01-01,wegen-verkeer-straatmeubilair,2,2025"))), "{csv}");
        let by_format = stats(&app, None, "level=gemeente&area=GM0917&period=year&format=csv&measures=received").await;
        assert!(by_format.text().await.unwrap().starts_with("area_code,area_name,period,period_start,received,boundary_year"));
    }

    async fn small_counts_of_non_public_and_sensitive_categories_are_hidden_and_totals_add_only_shown_counts(app) {
        for _ in 0..3 {
            file(&app, "jongerenoverlast", BU09171000).await;
        }
        for _ in 0..6 {
            file(&app, "jongerenoverlast", BU09171001).await;
        }
        for _ in 0..3 {
            file(&app, "straatverlichting-openbare-klok", BU09171000).await;
        }
        let answer = stats_json(&app, "level=buurt&wijk=WK091710&period=year&group_by=sub&measures=received,open_at_end,median_hours_to_resolution").await;
        let year = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Amsterdam).format("%Y").to_string();
        let find = |code: &str, sub: &str| {
            answer["rows"].as_array().unwrap().iter().find(|r| r["area_code"] == code && r["subcategory"] == sub && r["period"] == year.as_str()).cloned().unwrap()
        };
        let hidden = find("BU09171000", "jongerenoverlast");
        assert!(hidden.get("received").is_none() && hidden.get("open_at_end").is_none(), "{hidden}");
        assert_eq!(hidden["suppressed"], json!(["received", "open_at_end"]));
        assert_eq!(find("BU09171001", "jongerenoverlast")["received"], 6);
        assert_eq!(find("BU09171000", "straatverlichting-openbare-klok")["received"], 3, "public categories show exact counts");
        let total = answer["totals"].as_array().unwrap().iter().find(|t| t["subcategory"] == "jongerenoverlast" && t["period"] == year.as_str()).unwrap();
        assert_eq!(total["sums_of_shown"]["received"], 6, "the hidden 3 are not in the total: {total}");
        let csv = stats(&app, None, "level=buurt&wijk=WK091710&period=year&group_by=sub&measures=received&format=csv").await.text().await.unwrap();
        assert!(csv.lines().any(|l| l.starts_with("BU09171000") && l.contains("jongerenoverlast,fewer than 5")), "{csv}");
        // Without a category split a cell may hold non-public categories, so it follows the
        // rule whatever it holds (hiding only when one is there would tell that one is).
        let all = stats_json(&app, "level=buurt&wijk=WK091710&period=year&measures=received").await;
        assert_eq!(rows_of(&all, "BU09171001").iter().find(|r| r["period"] == year.as_str()).unwrap()["received"], 6);
        assert_eq!(rows_of(&all, "BU09171000").iter().find(|r| r["period"] == year.as_str()).unwrap()["received"], 6);
        let public = stats_json(&app, "level=buurt&wijk=WK091710&period=year&measures=received&category=wegen-verkeer-straatmeubilair").await;
        assert_eq!(rows_of(&public, "BU09171000").iter().find(|r| r["period"] == year.as_str()).unwrap()["received"], 3);
        file(&app, "straatverlichting-openbare-klok", BU09171001).await;
        let mixed = stats_json(&app, "level=buurt&wijk=WK091710&period=year&measures=received&category=straatverlichting-openbare-klok,jongerenoverlast").await;
        let cell = rows_of(&mixed, "BU09171001").into_iter().find(|r| r["period"] == year.as_str()).unwrap();
        assert_eq!(cell["received"], 7, "{cell}");
    }

    async fn no_statistics_answer_holds_personal_data_text_addresses_or_exact_locations(app) {
        let id = file(&app, "straatverlichting-openbare-klok", BU09171000).await;
        file(&app, "jongerenoverlast", BU09171000).await;
        move_to(&app, &id, "resolved").await;
        let mut answers = String::new();
        for query in [
            "level=buurt&area=GM0917&period=day&group_by=sub,department,source",
            "level=wijk&area=GM0917&period=week",
            "level=gemeente&area=GM0917&period=year&format=csv",
        ] {
            let response = stats(&app, None, query).await;
            assert_eq!(response.status(), 200);
            answers.push_str(&response.text().await.unwrap());
        }
        for secret in [EMAIL, NAME, "0455559876", DESCRIPTION, "Stientjesstraat", "50.923975", "5.91321", &id] {
            assert!(!answers.contains(secret), "{secret} appears in a statistics answer");
        }
    }

    async fn analysts_coordinators_and_admins_may_ask_department_staff_get_403_and_no_token_401(app) {
        let admin = admin_token(&app).await;
        let (_, analyst) = staff_account(&app, &admin, "analist@heerlen.example", "analyst", &[]).await;
        let (_, coordinator) = staff_account(&app, &admin, "coordinator@heerlen.example", "coordinator", &[]).await;
        let (_, lamp) = staff_account(&app, &admin, "lamp@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        for token in [&analyst, &coordinator, &admin] {
            assert_eq!(stats(&app, Some(token), "area=GM0917").await.status(), 200);
        }
        expect_problem(stats(&app, Some(&lamp), "area=GM0917").await, 403).await;
        let anonymous = app.client.get(app.url("/api/v1/stats/reports?area=GM0917")).send().await.unwrap();
        expect_problem(anonymous, 401).await;
        expect_problem(stats(&app, Some("a-follow-link-token-is-no-staff-token"), "area=GM0917").await, 401).await;
    }

    async fn every_bad_parameter_is_a_422_naming_it_by_json_pointer(app) {
        let problem = expect_problem(
            stats(&app, None, "level=straat&period=decade&measures=geluk&group_by=kleur&boundary_year=vorig").await,
            422,
        )
        .await;
        assert_eq!(pointers(&problem), ["/level", "/period", "/group_by", "/measures", "/boundary_year"]);
        let problem = expect_problem(stats(&app, None, "period=month&from=2025-06&to=2025-01").await, 422).await;
        assert_eq!(pointers(&problem), ["/from"]);
        let problem = expect_problem(stats(&app, None, "period=month&from=2010-01&to=2025-12").await, 422).await;
        assert_eq!(pointers(&problem), ["/to"]);
        let problem = expect_problem(stats(&app, None, "period=day&from=2023-01-01&to=2025-12-31").await, 422).await;
        assert_eq!(pointers(&problem), ["/to"]);
        let problem = expect_problem(stats(&app, None, "boundary_year=2019").await, 422).await;
        assert_eq!(pointers(&problem), ["/boundary_year"]);
        assert!(problem["errors"][0]["detail"].as_str().unwrap().contains("2025"), "{problem}");
        let problem = expect_problem(stats(&app, None, "area=BU09999999").await, 422).await;
        assert_eq!(pointers(&problem), ["/area"]);
        let problem = expect_problem(stats(&app, None, "category=bestaat-niet&department=ook-niet").await, 422).await;
        assert_eq!(pointers(&problem), ["/category", "/department"]);
        let problem = expect_problem(stats(&app, None, "wijk=GM0917").await, 422).await;
        assert_eq!(pointers(&problem), ["/wijk"]);
    }
}
