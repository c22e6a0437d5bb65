//! The routing rules page of the console's configuration: trying a candidate rule on a
//! hypothetical report, saving and deleting rules through the admin API's own functions
//! (checked through the admin API), the API's reasons at the fields, admins only, and the
//! form protection.

use reqwest::Method;
use serde_json::Value;

use super::{Browser, csrf};
use crate::support::app::TestApp;
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

const PAGE: &str = "/console/config/rules";

async fn api_rules(app: &TestApp) -> Vec<Value> {
    let (status, rules) = app.admin_json(Method::GET, "/api/v1/admin/routing/rules", None).await;
    assert_eq!(status, 200);
    rules.as_array().unwrap().clone()
}

/// The fields of a candidate rule: street lights to the customer contact centre, with a
/// street light at Akerstraat 12 to try.
fn candidate<'a>(token: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", token),
        ("action", action),
        ("name", "Verlichting naar het KCC"),
        ("position", ""),
        ("active", "on"),
        ("categories", "straatverlichting-openbare-klok"),
        ("department", "klantcontactcentrum"),
        ("priority", "high"),
        ("deadline_hours", "24"),
        ("test_category", "straatverlichting-openbare-klok"),
        ("test_lat", "50.8882"),
        ("test_lon", "5.9795"),
    ]
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn an_admin_tries_a_candidate_rule_on_a_hypothetical_report_then_saves_and_deletes_it(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let queue = browser.page("/console", 200).await;
        assert!(queue.contains("href=\"/console/config/rules\""), "admins see the link: {queue}");
        let page = browser.page(PAGE, 200).await;
        assert!(page.contains("Er zijn nog geen regels"), "{page}");
        let token = csrf(&page);

        let tried = browser.post(PAGE, &candidate(&token, "test")).await;
        assert_eq!(tried.status(), 200);
        let tried = tried.text().await.unwrap();
        assert!(tried.contains("Uitkomst van de proef") && tried.contains("door regel 1 “Verlichting naar het KCC” (nieuwe regel)"), "{tried}");
        assert!(tried.contains("value=\"Verlichting naar het KCC\""), "the form keeps what was typed");
        assert!(api_rules(&app).await.is_empty(), "trying saves nothing");

        // Without a candidate the saved rules (none) decide: the category's default.
        let fields = [("csrf", token.as_str()), ("action", "test"), ("test_category", "straatverlichting-openbare-klok"), ("test_lat", "50.8882"), ("test_lon", "5.9795")];
        let plain = browser.post(PAGE, &fields).await.text().await.unwrap();
        assert!(plain.contains("de standaardafdeling van de categorie"), "{plain}");

        let saved = browser.post(PAGE, &candidate(&token, "save")).await;
        assert_eq!(saved.status(), 303);
        assert_eq!(saved.headers()["location"], "/console/config/rules?done=saved");
        let rules = api_rules(&app).await;
        assert_eq!(rules.len(), 1);
        assert_eq!((rules[0]["name"].as_str(), rules[0]["action"]["department"].as_str()), (Some("Verlichting naar het KCC"), Some("klantcontactcentrum")));
        assert_eq!((rules[0]["action"]["priority"].as_str(), rules[0]["action"]["deadline_hours"].as_i64()), (Some("high"), Some(24)));
        let list = browser.page("/console/config/rules?done=saved", 200).await;
        assert!(list.contains("De regel is opgeslagen.") && list.contains("<th scope=\"row\">Verlichting naar het KCC</th>"), "{list}");

        let id = rules[0]["id"].as_str().unwrap();
        let deleted = browser.post(PAGE, &[("csrf", token.as_str()), ("action", "delete"), ("rule", id)]).await;
        assert_eq!(deleted.status(), 303);
        assert_eq!(deleted.headers()["location"], "/console/config/rules?done=deleted");
        assert!(api_rules(&app).await.is_empty());
        let again = browser.post(PAGE, &[("csrf", token.as_str()), ("action", "delete"), ("rule", id)]).await;
        assert_eq!(again.headers()["location"], "/console/config/rules?done=gone", "a rule already gone");
    }

    async fn an_admin_changes_a_saved_rule_tries_the_change_in_its_place_and_reorders_the_rules(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page(PAGE, 200).await);
        assert_eq!(browser.post(PAGE, &candidate(&token, "save")).await.status(), 303);
        let mut second = candidate(&token, "save");
        second.retain(|(k, _)| !["name", "categories", "department"].contains(k));
        second.extend([("name", "Alles in het centrum"), ("areas", "WK091710"), ("department", "openbare-verlichting")]);
        assert_eq!(browser.post(PAGE, &second).await.status(), 303);
        let rules = api_rules(&app).await;
        let (first, last) = (rules[0]["id"].as_str().unwrap().to_owned(), rules[1]["id"].as_str().unwrap().to_owned());

        // The form of a saved rule holds it as saved, answers included.
        let answers = r#"{"probleem":["uit"]}"#;
        let (status, _) = app.admin_json(Method::PUT, &format!("/api/v1/admin/routing/rules/{first}"), Some(&serde_json::json!({
            "name": "Verlichting naar het KCC", "conditions": {"categories": ["straatverlichting-openbare-klok"], "answers": {"probleem": ["uit"]}},
            "action": {"department": "klantcontactcentrum", "priority": "high", "deadline_hours": 24}}))).await;
        assert_eq!(status, 200);
        let form = browser.page(&format!("{PAGE}?edit={first}"), 200).await;
        assert!(form.contains("Regel wijzigen: Verlichting naar het KCC") && form.contains(&format!("name=\"editing\" value=\"{first}\"")), "{form}");
        assert!(form.contains("{&#34;probleem&#34;:[&#34;uit&#34;]}") && form.contains("value=\"24\""), "{form}");

        // Trying the changed rule puts it in the saved one's place, not beside it.
        let mut changed = candidate(&token, "test");
        changed.retain(|(k, _)| !["name", "department", "position"].contains(k));
        changed.extend([("name", "Verlichting naar het KCC, aangepast"), ("department", "openbare-verlichting"), ("position", "1"), ("answers", answers), ("editing", first.as_str())]);
        let tried = browser.post(PAGE, &changed).await.text().await.unwrap();
        assert!(tried.contains("<strong>1. Verlichting naar het KCC, aangepast</strong> (nieuwe regel)"), "{tried}");
        assert!(tried.contains("<strong>2. Alles in het centrum</strong>"), "{tried}");
        assert!(!tried.contains("Verlichting naar het KCC</strong>"), "the saved version is left out: {tried}");
        // With the answer the changed rule asks for, it decides.
        let mut answered = changed.clone();
        answered.push(("test_answers", r#"{"probleem": "uit"}"#));
        let tried = browser.post(PAGE, &answered).await.text().await.unwrap();
        assert!(tried.contains("door regel 1 “Verlichting naar het KCC, aangepast” (nieuwe regel)"), "{tried}");
        answered.retain(|(k, _)| *k != "test_answers");
        answered.push(("test_answers", "uit"));
        let refused = browser.post(PAGE, &answered).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.unwrap().contains("id=\"test_answers-error\""));

        // Saving replaces it: still two rules, the first one changed, answers kept.
        changed.retain(|(k, _)| *k != "action");
        changed.push(("action", "save"));
        let saved = browser.post(PAGE, &changed).await;
        assert_eq!(saved.headers()["location"], "/console/config/rules?done=changed");
        let rules = api_rules(&app).await;
        assert_eq!(rules.len(), 2);
        assert_eq!((rules[0]["id"].as_str(), rules[0]["name"].as_str()), (Some(first.as_str()), Some("Verlichting naar het KCC, aangepast")));
        assert_eq!(rules[0]["action"]["department"], "openbare-verlichting");
        assert_eq!(rules[0]["conditions"]["answers"], serde_json::json!({"probleem": ["uit"]}));

        // Lower moves the first rule down; the other moves up.
        let moved = browser.post(PAGE, &[("csrf", token.as_str()), ("action", "down"), ("rule", first.as_str())]).await;
        assert_eq!(moved.headers()["location"], "/console/config/rules?done=moved");
        let order: Vec<_> = api_rules(&app).await.iter().map(|r| (r["id"].as_str().unwrap().to_owned(), r["position"].as_i64().unwrap())).collect();
        assert_eq!(order, vec![(last.clone(), 1), (first.clone(), 2)]);
        let list = browser.page("/console/config/rules?done=moved", 200).await;
        assert!(list.contains("De volgorde is gewijzigd."), "{list}");
        assert!(browser.post(PAGE, &[("csrf", token.as_str()), ("action", "up"), ("rule", first.as_str())]).await.status() == 303);
        assert_eq!(api_rules(&app).await[0]["id"].as_str(), Some(first.as_str()));

        // Bad answers JSON is a reason at its field; a rule gone meanwhile says so.
        let mut bad = changed.clone();
        bad.retain(|(k, _)| *k != "answers");
        bad.push(("answers", "{probleem"));
        let refused = browser.post(PAGE, &bad).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.unwrap().contains("id=\"answers-error\""));
        let (status, _) = app.admin_json(Method::DELETE, &format!("/api/v1/admin/routing/rules/{first}"), None).await;
        assert_eq!(status, 204);
        assert_eq!(browser.get(&format!("{PAGE}?edit={first}")).await.headers()["location"], "/console/config/rules?done=gone");
        assert_eq!(browser.post(PAGE, &changed).await.headers()["location"], "/console/config/rules?done=gone");
    }

    async fn an_invalid_rule_or_report_to_try_answers_the_page_with_the_apis_reasons_at_the_fields(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page(PAGE, 200).await);
        let fields = [("csrf", token.as_str()), ("action", "save"), ("name", "Kapot"), ("department", "nergens")];
        let refused = browser.post(PAGE, &fields).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains("Niet opgeslagen") && body.contains("id=\"department-error\">unknown department &#39;nergens&#39;"), "{body}");
        assert!(body.contains("value=\"Kapot\""), "{body}");

        let mut numbers = candidate(&token, "save");
        numbers.push(("position", "eerste"));
        numbers.retain(|(k, v)| *k != "position" || !v.is_empty());
        let refused = browser.post(PAGE, &numbers).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.unwrap().contains("id=\"position-error\">vul een heel getal in"));

        let mut far = candidate(&token, "test");
        far.retain(|(k, _)| *k != "test_lat" && *k != "test_lon");
        far.extend([("test_lat", "52.37"), ("test_lon", "4.89")]);
        let outside = browser.post(PAGE, &far).await;
        assert_eq!(outside.status(), 422);
        assert!(outside.text().await.unwrap().contains("id=\"test_location-error\""));
        let unknown = browser.post(PAGE, &[("csrf", token.as_str()), ("action", "test"), ("test_category", "bestaat-niet"), ("test_lat", "x"), ("test_lon", "")]).await;
        assert_eq!(unknown.status(), 422);
        assert!(api_rules(&app).await.is_empty(), "nothing saved");
    }

    async fn only_admins_may_use_the_configuration_pages(app) {
        let admin = admin_token(&app).await;
        staff_account(&app, &admin, "coordinator@heerlen.example", "coordinator", &[]).await;
        let mut browser = Browser::new(&app);
        browser.log_in("coordinator@heerlen.example", STAFF_PASSWORD).await;
        let queue = browser.page("/console", 200).await;
        assert!(!queue.contains("/console/config/rules"), "no link for a coordinator");
        let refused = browser.page(PAGE, 403).await;
        assert!(refused.contains("Alleen voor beheerders"), "{refused}");
        let token = csrf(&queue);
        let posted = browser.post(PAGE, &candidate(&token, "save")).await;
        assert_eq!(posted.status(), 403);
        assert!(api_rules(&app).await.is_empty());
        let signed_out = Browser::new(&app).get(PAGE).await;
        assert_eq!(signed_out.status(), 303);
        assert_eq!(signed_out.headers()["location"], "/console/login?next=%2Fconsole%2Fconfig%2Frules");
    }

    async fn a_rule_form_without_the_sessions_token_or_from_another_site_is_refused(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page(PAGE, 200).await);
        let mut fields = candidate(&token, "save");
        fields.retain(|(k, _)| *k != "csrf");
        assert_eq!(browser.post(PAGE, &fields).await.status(), 403, "no token");
        let cross = browser.post_from(PAGE, &candidate(&token, "save"), "cross-site", Some("https://evil.example")).await;
        assert_eq!(cross.status(), 403, "another site");
        assert!(cross.text().await.unwrap().contains("Er is niets veranderd"));
        assert!(api_rules(&app).await.is_empty());
    }
}
