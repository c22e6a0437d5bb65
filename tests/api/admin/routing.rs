//! Departments, categories and routing rules through the admin API, and `explain`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::*;
use crate::support::backends::on_both_backends;
use crate::support::routing::{create_rule, night_rule};

async fn wijk_of_street_light(app: &TestApp) -> String {
    let found = app.get_json("/api/v1/areas/lookup?lat=50.8882&lon=5.9795").await;
    found["wijk"]["code"].as_str().unwrap().to_owned()
}

async fn explain(app: &TestApp, body: &Value) -> Value {
    let (status, answer) = app.admin_json(Method::POST, "/api/v1/routing/explain", Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

fn street_light_question() -> Value {
    json!({"category": "straatverlichting-openbare-klok", "location": {"lat": 50.8882, "lon": 5.9795},
        "answers": {"probleem": "uit"}})
}

on_both_backends! {
    async fn departments_are_created_changed_and_deactivated_unless_still_in_use(app) {
        let (status, created) = app.admin_json(Method::POST, "/api/v1/admin/departments", Some(&json!({
            "slug": "groen", "name_nl": "Groenbeheer", "name_en": "Parks", "email": "groen@heerlen.nl"
        }))).await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        let (status, _) = app.admin_json(Method::POST, "/api/v1/admin/departments", Some(&json!({
            "slug": "groen", "name_nl": "Nog eens", "name_en": "Again"
        }))).await;
        assert_eq!(status, 409);
        let (status, problem) = app.admin_json(Method::POST, "/api/v1/admin/departments", Some(&json!({
            "slug": "Groen Beheer", "name_nl": "", "name_en": "x", "email": "nope"
        }))).await;
        assert_eq!(status, 422);
        assert_eq!(pointers(&problem), ["/slug", "/name_nl", "/email"]);
        let (status, changed) = app.admin_json(Method::PUT, &format!("/api/v1/admin/departments/{id}"), Some(&json!({
            "slug": "groen", "name_nl": "Groen en Bomen", "name_en": "Parks and Trees"
        }))).await;
        assert_eq!((status, changed["name_nl"].as_str()), (200, Some("Groen en Bomen")));
        let (_, list) = app.admin_json(Method::GET, "/api/v1/admin/departments", None).await;
        assert!(list.as_array().unwrap().iter().any(|d| d["slug"] == "groen" && d["active"] == true));
        // A rule and a category that use it block deactivation, and are named.
        let mut rule = night_rule(&wijk_of_street_light(&app).await);
        rule["action"]["department"] = json!("groen");
        create_rule(&app, &rule).await;
        let (status, category) = app.admin_json(Method::POST, "/api/v1/admin/categories", Some(&json!({
            "parent": "wegen-verkeer-straatmeubilair", "slug": "boomwortels", "name_nl": "Boomwortels",
            "name_en": "Tree roots", "default_department": "groen", "handling_hours": 72,
            "questions": [{"key": "soort", "label_nl": "Soort", "label_en": "Kind", "datatype": "singlevaluelist",
                "values": [{"key": "stoep", "name_nl": "Stoep", "name_en": "Pavement"}]}]
        }))).await;
        assert_eq!(status, 201, "{category}");
        let problem = expect_problem(app.admin(Method::DELETE, &format!("/api/v1/admin/departments/{id}")).send().await.unwrap(), 409).await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("Verlichting in deze wijk") && detail.contains("boomwortels"), "{detail}");
        let (_, list) = app.admin_json(Method::GET, "/api/v1/admin/departments", None).await;
        assert!(list.as_array().unwrap().iter().any(|d| d["slug"] == "groen" && d["active"] == true));
        // Once nothing uses it, it can be deactivated.
        let unused = app.admin_json(Method::POST, "/api/v1/admin/departments", Some(&json!({
            "slug": "archief", "name_nl": "Archief", "name_en": "Archive"}))).await.1;
        let (status, gone) = app.admin_json(Method::DELETE, &format!("/api/v1/admin/departments/{}", unused["id"].as_str().unwrap()), None).await;
        assert_eq!((status, gone["active"].as_bool()), (200, Some(false)));
    }

    async fn categories_are_created_and_changed_with_their_questions_checked(app) {
        let bad = json!({
            "parent": "geen-hoofdcategorie", "slug": "x", "name_nl": "X", "name_en": "X",
            "default_department": "bestaat-niet", "handling_hours": 0,
            "questions": [{"key": "a", "label_nl": "A", "label_en": "A", "datatype": "singlevaluelist"}]
        });
        let (status, problem) = app.admin_json(Method::POST, "/api/v1/admin/categories", Some(&bad)).await;
        assert_eq!(status, 422);
        assert_eq!(pointers(&problem), ["/slug", "/parent", "/handling_hours", "/default_department", "/questions"]);
        let good = json!({"parent": "afval", "slug": "bladafval", "name_nl": "Bladafval", "name_en": "Fallen leaves",
            "default_department": "afval-en-reiniging", "is_public": true, "handling_hours": 48});
        let (status, created) = app.admin_json(Method::POST, "/api/v1/admin/categories", Some(&good)).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!((created["parent"].as_str(), created["default_department"].as_str()), (Some("afval"), Some("afval-en-reiniging")));
        let tree = app.get_json("/api/v1/categories").await;
        assert!(tree.to_string().contains("bladafval"), "the public tree shows it at once");
        let mut off = good.clone();
        off["active"] = json!(false);
        let (status, changed) = app.admin_json(Method::PUT, &format!("/api/v1/admin/categories/{}", created["id"].as_str().unwrap()), Some(&off)).await;
        assert_eq!((status, changed["active"].as_bool()), (200, Some(false)));
        assert!(!app.get_json("/api/v1/categories").await.to_string().contains("bladafval"));
        let mut report = street_light_report();
        report["category"] = json!("bladafval");
        report["answers"] = json!({});
        expect_problem(app.post_report(&report, None).await, 422).await;
    }

    async fn invalid_rules_are_refused_with_a_reason_per_field(app) {
        let cases = vec![
            (json!({"name": "leeg", "conditions": {}, "action": {"department": "openbare-verlichting"}}), vec!["/conditions"]),
            (json!({"name": "onbekend", "conditions": {"categories": ["bestaat-niet"], "areas": ["BU99999999", "Heerlen"]},
                "action": {"department": "bestaat-niet", "priority": "urgent"}}),
                vec!["/conditions/categories/0", "/conditions/areas/0", "/conditions/areas/1", "/action/department", "/action/priority"]),
            (json!({"name": "vorm", "conditions": {"polygon": {"type": "Polygon", "coordinates": [[[5.9, 50.8], [5.91, 50.8], [5.91, 50.81]]]}},
                "action": {"department": "openbare-verlichting"}}), vec!["/conditions/polygon"]),
            (json!({"name": "tijd", "conditions": {"time": {"from": "25:00", "to": "8 uur"}, "weekdays": ["zondag"]},
                "action": {"department": "openbare-verlichting"}}), vec!["/conditions/weekdays/0", "/conditions/time/from", "/conditions/time/to"]),
            (json!({"name": "", "conditions": {"answers": {"probleem": ["uit"]}}, "action": {"department": "openbare-verlichting"}}),
                vec!["/name", "/conditions/answers/probleem"]),
        ];
        for (rule, expected) in cases {
            let (status, problem) = app.admin_json(Method::POST, "/api/v1/admin/routing/rules", Some(&rule)).await;
            assert_eq!(status, 422, "{rule}: {problem}");
            let mut got = pointers(&problem);
            got.sort();
            let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
            want.sort();
            assert_eq!(got, want, "{problem}");
        }
        let (_, rules) = app.admin_json(Method::GET, "/api/v1/admin/routing/rules", None).await;
        assert_eq!(rules, json!([]), "nothing was saved");
    }

    async fn rules_are_kept_in_order_and_can_be_read_changed_moved_and_deleted(app) {
        let wijk = wijk_of_street_light(&app).await;
        let first = create_rule(&app, &night_rule(&wijk)).await;
        let mut second_spec = night_rule(&wijk);
        second_spec["name"] = json!("Tweede");
        second_spec["position"] = json!(1);
        let second = create_rule(&app, &second_spec).await;
        assert_eq!(second["position"], 1);
        let (_, rules) = app.admin_json(Method::GET, "/api/v1/admin/routing/rules", None).await;
        let names: Vec<&str> = rules.as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Tweede", "Verlichting in deze wijk naar de aannemer"]);
        let id = first["id"].as_str().unwrap();
        let mut changed = night_rule(&wijk);
        changed["position"] = json!(1);
        changed["action"]["deadline_hours"] = json!(4);
        let (status, saved) = app.admin_json(Method::PUT, &format!("/api/v1/admin/routing/rules/{id}"), Some(&changed)).await;
        assert_eq!((status, saved["position"].as_i64(), saved["action"]["deadline_hours"].as_i64()), (200, Some(1), Some(4)));
        let (status, read) = app.admin_json(Method::GET, &format!("/api/v1/admin/routing/rules/{id}"), None).await;
        assert_eq!((status, read["conditions"]["areas"][0].as_str()), (200, Some(wijk.as_str())));
        let (status, _) = app.admin_json(Method::DELETE, &format!("/api/v1/admin/routing/rules/{id}"), None).await;
        assert_eq!(status, 204);
        let (status, _) = app.admin_json(Method::DELETE, &format!("/api/v1/admin/routing/rules/{id}"), None).await;
        assert_eq!(status, 404);
        let (_, rules) = app.admin_json(Method::GET, "/api/v1/admin/routing/rules", None).await;
        assert_eq!((rules[0]["name"].as_str(), rules[0]["position"].as_i64()), (Some("Tweede"), Some(1)));
        let _ = second;
    }

    async fn explain_names_the_matching_rule_and_why_earlier_rules_did_not_match(app) {
        let wijk = wijk_of_street_light(&app).await;
        let answer = explain(&app, &street_light_question()).await;
        assert_eq!((answer["department"]["slug"].as_str(), answer["reason"].as_str()), (Some("openbare-verlichting"), Some("category_default")));
        assert_eq!(answer["area"]["wijk"]["code"], wijk.as_str());
        create_rule(&app, &json!({"name": "Alleen in het weekend", "conditions": {"weekdays": ["sat", "sun"]},
            "action": {"department": "toezicht-en-handhaving"}})).await;
        create_rule(&app, &night_rule(&wijk)).await;
        let mut question = street_light_question();
        question["at"] = json!("2026-11-25T10:00:00Z"); // a Wednesday
        let answer = explain(&app, &question).await;
        assert_eq!((answer["department"]["slug"].as_str(), answer["reason"].as_str()), (Some("beheer-openbare-ruimte"), Some("rule")));
        assert_eq!((answer["matched_rule"]["position"].as_i64(), answer["priority"].as_str()), (Some(2), Some("high")));
        assert_eq!(answer["checks"][0]["matched"], false);
        assert!(answer["checks"][0]["reasons"][0].as_str().unwrap().contains("wed"), "{answer}");
        // A candidate rule is tried first without being saved.
        question["candidate"] = json!({"name": "Kandidaat", "conditions": {"answers": {"probleem": ["uit"]},
            "categories": ["straatverlichting-openbare-klok"]}, "action": {"department": "klantcontactcentrum"}});
        let answer = explain(&app, &question).await;
        assert_eq!((answer["department"]["slug"].as_str(), answer["matched_rule"]["candidate"].as_bool()), (Some("klantcontactcentrum"), Some(true)));
        let (_, rules) = app.admin_json(Method::GET, "/api/v1/admin/routing/rules", None).await;
        assert_eq!(rules.as_array().unwrap().len(), 2);
        // A new version of the night rule, tried in its place: the saved version is left out.
        let night = rules[1]["id"].as_str().unwrap().to_owned();
        let mut version = night_rule(&wijk);
        version["action"]["department"] = json!("klantcontactcentrum");
        version["position"] = json!(2);
        question["candidate"] = version;
        question["replaces"] = json!(night);
        let answer = explain(&app, &question).await;
        assert_eq!((answer["department"]["slug"].as_str(), answer["matched_rule"]["candidate"].as_bool()), (Some("klantcontactcentrum"), Some(true)));
        assert_eq!(answer["checks"].as_array().unwrap().len(), 2, "the weekend rule and the candidate, not the saved version: {answer}");
        question["replaces"] = json!("00000000-0000-7000-8000-000000000000");
        let (status, problem) = app.admin_json(Method::POST, "/api/v1/routing/explain", Some(&question)).await;
        assert_eq!((status, pointers(&problem)), (422, vec!["/replaces".to_owned()]));
        question.as_object_mut().unwrap().remove("replaces");
        // A broken candidate, an unknown category and a place outside the service area are 422s.
        question["candidate"] = json!({"name": "Kapot", "conditions": {}, "action": {"department": "nergens"}});
        question["category"] = json!("bestaat-niet");
        let (status, problem) = app.admin_json(Method::POST, "/api/v1/routing/explain", Some(&question)).await;
        assert_eq!(status, 422);
        assert_eq!(pointers(&problem), ["/category", "/candidate/conditions", "/candidate/action/department"]);
        let mut far = street_light_question();
        far["location"] = json!({"lat": 52.37, "lon": 4.89});
        let (status, problem) = app.admin_json(Method::POST, "/api/v1/routing/explain", Some(&far)).await;
        assert_eq!((status, problem["type"].as_str()), (422, Some("urn:meldpunt:problem:outside-service-area")));
    }

    async fn a_report_is_routed_by_the_first_matching_rule_at_intake(app) {
        let wijk = wijk_of_street_light(&app).await;
        create_rule(&app, &night_rule(&wijk)).await;
        let response = app.post_report(&street_light_report(), None).await;
        assert_eq!(response.status(), 201);
        let report: Value = response.json().await.unwrap();
        assert_eq!(report["department"]["slug"], "beheer-openbare-ruimte");
        assert_eq!(report["area"]["wijk"]["code"], wijk.as_str());
        let mut litter = street_light_report();
        litter["category"] = json!("veeg-zwerfvuil");
        litter["answers"] = json!({});
        let report: Value = app.post_report(&litter, None).await.json().await.unwrap();
        assert_eq!(report["department"]["slug"], "beheer-openbare-ruimte");
    }

    async fn a_report_outside_the_municipality_is_refused_at_intake_with_a_clear_problem(app) {
        let mut report = street_light_report();
        report["location"] = json!({"lat": 52.3731, "lon": 4.8922});
        let problem = expect_problem(app.post_report(&report, None).await, 422).await;
        assert_eq!(problem["type"], "urn:meldpunt:problem:outside-service-area");
        assert!(problem["detail"].as_str().unwrap().contains("GM0363"), "{problem}");
        assert_eq!(app.stored_reports().await, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_saved_on_one_server_routes_reports_on_another_within_a_few_poll_intervals() {
    let first = spawn_app(Backend::Postgres).await;
    let second = first.restart_on_same_database().await;
    let wijk = wijk_of_street_light(&first).await;
    create_rule(&first, &night_rule(&wijk)).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let answer = explain(&second, &street_light_question()).await;
        if answer["department"]["slug"] == "beheer-openbare-ruimte" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the second server still routes by default: {answer}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let report: Value = second.post_report(&street_light_report(), None).await.json().await.unwrap();
    assert_eq!(report["department"]["slug"], "beheer-openbare-ruimte");
}
