//! The departments and categories pages of the console's configuration: adding and
//! changing departments and categories (questions and handling time included) through the
//! admin API's own functions, checked through the admin API; the API's reasons at the
//! fields, a department still in use named with its users, admins only, and the form
//! protection.

use reqwest::Method;
use serde_json::Value;

use super::{Browser, csrf};
use crate::support::app::TestApp;
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

const DEPARTMENTS: &str = "/console/config/departments";
const CATEGORIES: &str = "/console/config/categories";

async fn api_list(app: &TestApp, what: &str) -> Vec<Value> {
    let (status, list) = app.admin_json(Method::GET, &format!("/api/v1/admin/{what}"), None).await;
    assert_eq!(status, 200);
    list.as_array().unwrap().clone()
}

async fn api_one(app: &TestApp, what: &str, slug: &str) -> Option<Value> {
    api_list(app, what).await.into_iter().find(|d| d["slug"] == slug)
}

/// A new subcategory of "afval" with a number question and a list question (and an empty
/// row, as the page sends it).
fn needles(token: &str) -> Vec<(&str, &str)> {
    vec![
        ("csrf", token),
        ("action", "save"),
        ("parent", "afval"),
        ("slug", "naalden-en-spuiten"),
        ("name_nl", "Naalden en spuiten"),
        ("name_en", "Needles and syringes"),
        ("description_nl", "Gebruikte naalden op straat of in de speeltuin"),
        ("description_en", ""),
        ("is_sensitive", "on"),
        ("handling_hours", "24"),
        ("default_department", "afval-en-reiniging"),
        ("position", "5"),
        ("active", "on"),
        ("q0_key", "aantal"),
        ("q0_label_nl", "Hoeveel naalden?"),
        ("q0_label_en", "How many needles?"),
        ("q0_datatype", "number"),
        ("q0_required", "on"),
        ("q0_values", ""),
        ("q1_key", "plek"),
        ("q1_label_nl", "Waar liggen ze?"),
        ("q1_label_en", "Where are they?"),
        ("q1_datatype", "singlevaluelist"),
        ("q1_values", "speeltuin | Speeltuin | Playground\nstoep | Stoep | Pavement"),
        ("q2_key", ""),
        ("q2_label_nl", ""),
        ("q2_label_en", ""),
        ("q2_datatype", "string"),
        ("q2_values", ""),
    ]
}

fn with<'a>(mut fields: Vec<(&'a str, &'a str)>, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    for (key, value) in changes {
        fields.retain(|(k, _)| k != key);
        fields.push((key, value));
    }
    fields
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn an_admin_adds_a_department_then_changes_deactivates_and_reactivates_it(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let page = browser.page(DEPARTMENTS, 200).await;
        assert!(page.contains("href=\"/console/config/departments\" aria-current=\"page\""), "{page}");
        assert!(page.contains("<code>klantcontactcentrum</code>"), "the seeded departments: {page}");
        let token = csrf(&page);
        let fields = [("csrf", token.as_str()), ("action", "create"), ("slug", "groenbeheer"), ("name_nl", "Groenbeheer"), ("name_en", "Parks"), ("email", "groen@heerlen.example"), ("active", "on")];
        let added = browser.post(DEPARTMENTS, &fields).await;
        assert_eq!(added.status(), 303);
        assert_eq!(added.headers()["location"], "/console/config/departments?done=created");
        let stored = api_one(&app, "departments", "groenbeheer").await.expect("the department in the API");
        assert_eq!((stored["name_en"].as_str(), stored["email"].as_str(), stored["active"].as_bool()), (Some("Parks"), Some("groen@heerlen.example"), Some(true)));
        let list = browser.page("/console/config/departments?done=created", 200).await;
        assert!(list.contains("De afdeling is toegevoegd.") && list.contains("<th scope=\"row\">Groenbeheer</th>") && list.contains(&format!("href=\"/console/config/departments/{}\"", stored["id"].as_str().unwrap())), "{list}");

        let id = stored["id"].as_str().unwrap();
        let address = format!("{DEPARTMENTS}/{id}");
        let edit = browser.page(&address, 200).await;
        assert!(edit.contains("value=\"Parks\"") && edit.contains("<code>groenbeheer</code>"), "{edit}");
        let fields = [("csrf", token.as_str()), ("action", "save"), ("slug", "wordt-genegeerd"), ("name_nl", "Groen en bomen"), ("name_en", "Parks and trees"), ("email", "")];
        let saved = browser.post(&address, &fields).await;
        assert_eq!(saved.status(), 303);
        assert_eq!(saved.headers()["location"], "/console/config/departments?done=saved");
        let stored = api_one(&app, "departments", "groenbeheer").await.expect("the slug stays");
        assert_eq!((stored["name_nl"].as_str(), stored["email"].is_null(), stored["active"].as_bool()), (Some("Groen en bomen"), true, Some(false)));

        let again = browser.post(&address, &[("csrf", token.as_str()), ("action", "reactivate")]).await;
        assert_eq!(again.headers()["location"], "/console/config/departments?done=reactivated");
        assert_eq!(api_one(&app, "departments", "groenbeheer").await.unwrap()["active"], true);
        let off = browser.post(&address, &[("csrf", token.as_str()), ("action", "deactivate")]).await;
        assert_eq!(off.headers()["location"], "/console/config/departments?done=deactivated");
        assert_eq!(api_one(&app, "departments", "groenbeheer").await.unwrap()["active"], false);
        let gone = browser.page(&format!("{DEPARTMENTS}/00000000-0000-0000-0000-000000000000"), 404).await;
        assert!(gone.contains("Deze afdeling bestaat niet"), "{gone}");
        let english = browser.page("/console/config/departments?lang=en", 200).await;
        assert!(english.contains("<h1>Departments</h1>") && english.contains("Add department") && english.contains("Parks and trees"), "{english}");
    }

    async fn an_invalid_department_answers_the_page_with_the_apis_reasons_at_the_fields_and_stores_nothing(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page(DEPARTMENTS, 200).await);
        let before = api_list(&app, "departments").await.len();
        let fields = [("csrf", token.as_str()), ("action", "create"), ("slug", "Groen Beheer!"), ("name_nl", "Groen"), ("name_en", ""), ("active", "on")];
        let refused = browser.post(DEPARTMENTS, &fields).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains("Niet opgeslagen"), "{body}");
        assert!(body.contains("id=\"slug-error\">&#39;Groen Beheer!&#39; is not a slug"), "{body}");
        assert!(body.contains("aria-describedby=\"slug-hint slug-error\""), "the reason is linked to the field: {body}");
        assert!(body.contains("id=\"name_en-error\"") && body.contains("value=\"Groen\""), "{body}");
        assert_eq!(api_list(&app, "departments").await.len(), before, "nothing stored");

        let taken = [("csrf", token.as_str()), ("action", "create"), ("slug", "klantcontactcentrum"), ("name_nl", "KCC"), ("name_en", "KCC")];
        let conflict = browser.post(DEPARTMENTS, &taken).await;
        assert_eq!(conflict.status(), 409);
        assert!(conflict.text().await.unwrap().contains("id=\"slug-error\">a department with slug &#39;klantcontactcentrum&#39; exists"));
        assert_eq!(api_list(&app, "departments").await.len(), before);
    }

    async fn deactivating_a_department_still_in_use_names_what_uses_it(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page(DEPARTMENTS, 200).await);
        let used = api_one(&app, "departments", "afval-en-reiniging").await.unwrap();
        let address = format!("{DEPARTMENTS}/{}", used["id"].as_str().unwrap());
        let refused = browser.post(&address, &[("csrf", token.as_str()), ("action", "deactivate")]).await;
        assert_eq!(refused.status(), 409);
        let body = refused.text().await.unwrap();
        assert!(body.contains("De afdeling is nog in gebruik en is niet gedeactiveerd"), "{body}");
        assert!(body.contains("id=\"active-error\">department &#39;afval-en-reiniging&#39; is still used by") && body.contains("category &#39;grofvuil&#39;"), "{body}");
        assert_eq!(api_one(&app, "departments", "afval-en-reiniging").await.unwrap()["active"], true);
    }

    async fn an_admin_adds_a_category_with_questions_and_a_handling_time_then_changes_them(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let tree = browser.page(CATEGORIES, 200).await;
        assert!(tree.contains("<code>grofvuil</code>") && tree.contains("href=\"/console/config/categories/new?parent=afval\""), "{tree}");
        let gone = browser.page(&format!("{CATEGORIES}/geen-id"), 404).await;
        assert!(gone.contains("Deze categorie bestaat niet"), "{gone}");
        let new = browser.page("/console/config/categories/new?parent=afval", 200).await;
        assert!(new.contains("<option value=\"afval\" selected>"), "{new}");
        let token = csrf(&new);

        let added = browser.post("/console/config/categories/new", &needles(&token)).await;
        assert_eq!(added.status(), 303, "{}", added.text().await.unwrap_or_default());
        assert_eq!(added.headers()["location"], "/console/config/categories?done=created");
        let stored = api_one(&app, "categories", "naalden-en-spuiten").await.expect("the category in the API");
        assert_eq!((stored["parent"].as_str(), stored["handling_hours"].as_i64(), stored["default_department"].as_str()), (Some("afval"), Some(24), Some("afval-en-reiniging")));
        assert_eq!((stored["is_public"].as_bool(), stored["is_sensitive"].as_bool(), stored["position"].as_i64()), (Some(false), Some(true), Some(5)));
        let questions = stored["questions"].as_array().unwrap();
        assert_eq!(questions.len(), 2, "the empty row is skipped: {stored}");
        assert_eq!((questions[0]["key"].as_str(), questions[0]["datatype"].as_str(), questions[0]["required"].as_bool()), (Some("aantal"), Some("number"), Some(true)));
        assert_eq!(questions[1]["values"][1], serde_json::json!({"key": "stoep", "name_nl": "Stoep", "name_en": "Pavement"}));
        let tree = browser.page("/console/config/categories?done=created", 200).await;
        assert!(tree.contains("De categorie is toegevoegd.") && tree.contains(">Naalden en spuiten</a>") && tree.contains("24 uur"), "{tree}");

        let address = format!("{CATEGORIES}/{}", stored["id"].as_str().unwrap());
        let edit = browser.page(&address, 200).await;
        assert!(edit.contains("name=\"q0_key\" value=\"aantal\"") && edit.contains("speeltuin | Speeltuin | Playground"), "{edit}");
        assert!(edit.contains("name=\"q2_key\" value=\"\""), "empty rows for new questions: {edit}");
        let changed = with(needles(&token), &[("handling_hours", "48"), ("q0_remove", "on"), ("q2_key", "foto"), ("q2_label_nl", "Is er gevaar?"), ("q2_label_en", "Is there danger?"), ("q2_datatype", "text")]);
        let saved = browser.post(&address, &changed).await;
        assert_eq!(saved.status(), 303);
        assert_eq!(saved.headers()["location"], "/console/config/categories?done=saved");
        let stored = api_one(&app, "categories", "naalden-en-spuiten").await.unwrap();
        assert_eq!(stored["handling_hours"], 48);
        let keys: Vec<&str> = stored["questions"].as_array().unwrap().iter().map(|q| q["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["plek", "foto"]);

        let wrong = browser.post(&address, &with(needles(&token), &[("handling_hours", "0")])).await;
        assert_eq!(wrong.status(), 422);
        let body = wrong.text().await.unwrap();
        assert!(body.contains("id=\"handling_hours-error\">0 hours is out of range"), "{body}");
        let words = browser.post(&address, &with(needles(&token), &[("handling_hours", "twee dagen")])).await;
        assert_eq!(words.status(), 422);
        assert!(words.text().await.unwrap().contains("id=\"handling_hours-error\">vul een heel getal in"));
        let list = browser.post(&address, &with(needles(&token), &[("q1_values", "")])).await;
        assert_eq!(list.status(), 422);
        assert!(list.text().await.unwrap().contains("id=\"questions-error\">list question &#39;plek&#39; has no values"));
        let kinds = browser.post(&address, &with(needles(&token), &[("q0_datatype", "kleur"), ("q1_values", "a | b | c | d")])).await;
        assert_eq!(kinds.status(), 422);
        let body = kinds.text().await.unwrap();
        assert!(body.contains("id=\"q0_datatype-error\">kies een soort antwoord uit de lijst") && body.contains("id=\"q1_values-error\">schrijf elke keuze"), "{body}");
        assert_eq!(api_one(&app, "categories", "naalden-en-spuiten").await.unwrap()["handling_hours"], 48, "nothing stored");
    }

    async fn a_coordinator_gets_the_admins_only_page_on_the_departments_and_categories_pages(app) {
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, "coordinator@heerlen.example", "coordinator", &[]).await;
        let mut browser = Browser::new(&app);
        browser.log_in("coordinator@heerlen.example", STAFF_PASSWORD).await;
        let token = csrf(&browser.page("/console", 200).await);
        for page in [DEPARTMENTS, CATEGORIES, "/console/config/categories/new"] {
            let refused = browser.page(page, 403).await;
            assert!(refused.contains("Alleen voor beheerders"), "{page}: {refused}");
        }
        let fields = [("csrf", token.as_str()), ("action", "create"), ("slug", "groenbeheer"), ("name_nl", "Groen"), ("name_en", "Parks")];
        assert_eq!(browser.post(DEPARTMENTS, &fields).await.status(), 403);
        assert_eq!(browser.post("/console/config/categories/new", &needles(&token)).await.status(), 403);
        assert!(api_one(&app, "departments", "groenbeheer").await.is_none());
        assert!(api_one(&app, "categories", "naalden-en-spuiten").await.is_none());
    }

    async fn a_department_or_category_form_without_the_sessions_token_or_from_another_site_is_refused(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page(CATEGORIES, 200).await);
        let mut fields = needles(&token);
        fields.retain(|(k, _)| *k != "csrf");
        assert_eq!(browser.post("/console/config/categories/new", &fields).await.status(), 403, "no token");
        fields.push(("csrf", "1.abc"));
        assert_eq!(browser.post("/console/config/categories/new", &fields).await.status(), 403, "a wrong token");
        let department = [("csrf", token.as_str()), ("action", "create"), ("slug", "groenbeheer"), ("name_nl", "Groen"), ("name_en", "Parks")];
        let cross = browser.post_from(DEPARTMENTS, &department, "cross-site", Some("https://evil.example")).await;
        assert_eq!(cross.status(), 403, "another site");
        assert!(cross.text().await.unwrap().contains("Er is niets veranderd"));
        assert!(api_one(&app, "departments", "groenbeheer").await.is_none());
        assert!(api_one(&app, "categories", "naalden-en-spuiten").await.is_none());
    }
}
