//! The language of a refused form's reasons (WCAG 2.1 3.1.2 "Language of Parts"): on a
//! Dutch page the API's reasons are English and the element that holds each says so
//! (`lang="en"`), at the field and in the summary; the console's own reasons are Dutch and
//! are not marked English. One test per kind of page; the setup page's and the areas page's
//! reasons are checked in `setup.rs` and `config_people.rs`.

use serde_json::Value;

use super::{Browser, csrf};
use crate::support::app::street_light_report;
use crate::support::backends::on_both_backends;
use crate::support::staff::*;

/// The reason of field `id` in language `lang` that starts with `text`, as the page holds it.
fn at_field(lang: &str, id: &str, text: &str) -> String {
    format!("<p class=\"field-error\" lang=\"{lang}\" id=\"{id}-error\">{text}")
}

/// Asserts that field `id`'s reasons on `body` are not marked English.
fn not_english(body: &str, id: &str) {
    assert!(!body.contains(&format!("lang=\"en\" id=\"{id}-error\"")), "{id} is marked English: {body}");
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn a_report_form_refused_by_the_api_shows_its_english_reason_marked_english_and_the_consoles_own_reason_dutch(app) {
        let response = app.post_report(&street_light_report(), None).await;
        assert_eq!(response.status(), 201);
        let report: Value = response.json().await.unwrap();
        let path = format!("/console/reports/{}", report["id"].as_str().unwrap());
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page(&path, 200).await);

        let refused = browser.post(&path, &[("csrf", token.as_str()), ("action", "transition"), ("to", "resolved"), ("text", "")]).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains("<html lang=\"nl\">") && body.contains(&at_field("en", "status", "")), "{body}");
        assert!(body.contains("<li lang=\"en\"><a href=\"#form-status\">"), "the summary marks it too: {body}");
        assert!(body.contains("aria-describedby=\"status-text-hint status-error\""), "{body}");

        let half = browser.post(&path, &[("csrf", token.as_str()), ("action", "change"), ("lat", "50.88"), ("lon", "")]).await;
        assert_eq!(half.status(), 422);
        let body = half.text().await.unwrap();
        assert!(body.contains(&at_field("nl", "change", "vul zowel breedte- als lengtegraad in")), "{body}");
        assert!(body.contains("<li lang=\"nl\"><a href=\"#form-change\">"), "{body}");
        not_english(&body, "change");
    }

    async fn a_queue_filter_refused_by_the_api_shows_its_english_reason_marked_english(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let body = browser.page("/console?status=kapot", 422).await;
        let reason = body.split("<li lang=\"en\">").nth(1).unwrap_or_default();
        assert!(reason.contains("is not a status"), "{body}");
    }

    async fn an_announcement_refused_by_the_api_shows_its_english_reason_marked_english_and_the_consoles_own_reason_dutch(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let token = csrf(&browser.page("/console/announcements/new", 200).await);
        let fields = [("csrf", token.as_str()), ("action", "save"), ("title", ""), ("body", "Van 1 tot 5 december is de Akerstraat afgesloten."), ("area", "BU09171000")];
        let refused = browser.post("/console/announcements/new", &fields).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains("role=\"alert\"") && body.contains("<li lang=\"en\">"), "{body}");
        assert!(!body.contains("<li lang=\"nl\">"), "{body}");

        let fields = [("csrf", token.as_str()), ("action", "save"), ("title", "Werk"), ("body", "Tekst"), ("valid_from", "morgen")];
        let refused = browser.post("/console/announcements/new", &fields).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains("<li lang=\"nl\">Vul datum en tijd in als JJJJ-MM-DDTUU:MM.</li>"), "{body}");
        assert!(!body.contains("<li lang=\"en\">"), "{body}");
    }

    async fn a_routing_rule_refused_by_the_api_shows_its_english_reasons_marked_english_and_the_consoles_own_reason_dutch(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let page = "/console/config/rules";
        let token = csrf(&browser.page(page, 200).await);
        let refused = browser.post(page, &[("csrf", token.as_str()), ("action", "save"), ("name", "Kapot"), ("department", "nergens")]).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains(&at_field("en", "department", "unknown department &#39;nergens&#39;")), "{body}");
        assert!(body.contains("<li lang=\"en\"><a href=\"#form-rule\">unknown department"), "{body}");

        let fields = [("csrf", token.as_str()), ("action", "save"), ("name", "Kapot"), ("position", "eerste"), ("department", "klantcontactcentrum")];
        let refused = browser.post(page, &fields).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains(&at_field("nl", "position", "vul een heel getal in")), "{body}");
        not_english(&body, "position");

        // The tester's reasons why a rule did or did not match are the API's words too.
        let tried = [("csrf", token.as_str()), ("action", "test"), ("name", "Alleen zwerfvuil"), ("categories", "veeg-zwerfvuil"),
            ("department", "klantcontactcentrum"), ("test_category", "straatverlichting-openbare-klok"), ("test_lat", "50.8882"), ("test_lon", "5.9795")];
        let tried = browser.post(page, &tried).await;
        assert_eq!(tried.status(), 200);
        let body = tried.text().await.unwrap();
        let checks = body.split("<ol class=\"checks\">").nth(1).and_then(|rest| rest.split("</ol>").next()).unwrap_or_default();
        assert!(checks.contains("<li lang=\"en\">"), "the candidate's reasons are marked English: {body}");
    }

    async fn a_department_or_category_refused_by_the_api_shows_its_english_reason_marked_english_and_the_consoles_own_reason_dutch(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let departments = "/console/config/departments";
        let token = csrf(&browser.page(departments, 200).await);
        let fields = [("csrf", token.as_str()), ("action", "create"), ("slug", "Groen Beheer!"), ("name_nl", "Groen"), ("name_en", "Green")];
        let refused = browser.post(departments, &fields).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains(&at_field("en", "slug", "&#39;Groen Beheer!&#39; is not a slug")), "{body}");
        assert!(body.contains("<li lang=\"en\"><a href=\"#slug\">"), "{body}");

        let fields = [("csrf", token.as_str()), ("action", "save"), ("parent", "afval"), ("slug", "naalden"), ("name_nl", "Naalden"),
            ("name_en", "Needles"), ("handling_hours", "twee dagen"), ("position", "1")];
        let refused = browser.post("/console/config/categories/new", &fields).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains(&at_field("nl", "handling_hours", "vul een heel getal in")), "{body}");
        assert!(body.contains("<li lang=\"nl\"><a href=\"#handling_hours\">"), "{body}");
        not_english(&body, "handling_hours");
    }

    async fn an_account_or_token_refused_by_the_api_shows_its_english_reason_marked_english_and_the_consoles_own_reason_dutch(app) {
        let mut browser = Browser::new(&app);
        browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let accounts = "/console/config/accounts";
        let token = csrf(&browser.page(accounts, 200).await);
        let fields = [("csrf", token.as_str()), ("action", "create"), ("email", "geen-adres"), ("name", "Iemand"), ("role", "analyst")];
        let refused = browser.post(accounts, &fields).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains(&at_field("en", "email", "")), "{body}");
        assert!(body.contains("<li lang=\"en\"><a href=\"#email\">"), "{body}");

        let fields = [("csrf", token.as_str()), ("action", "create"), ("email", "a@heerlen.example"), ("name", "A"), ("role", "baas")];
        let refused = browser.post(accounts, &fields).await;
        assert_eq!(refused.status(), 422);
        let body = refused.text().await.unwrap();
        assert!(body.contains(&at_field("nl", "role", "kies een van de rollen")), "{body}");
        not_english(&body, "role");

        let admin = browser.page(accounts, 200).await;
        let id = admin.split("href=\"/console/config/accounts/").nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_owned();
        let address = format!("{accounts}/{id}");
        let never = browser.post(&address, &[("csrf", token.as_str()), ("action", "token"), ("label", "Koppeling"), ("expires_in_days", "0")]).await;
        assert_eq!(never.status(), 422);
        let body = never.text().await.unwrap();
        assert!(body.contains(&at_field("en", "expires_in_days", "")), "{body}");
        let words = browser.post(&address, &[("csrf", token.as_str()), ("action", "token"), ("label", "Koppeling"), ("expires_in_days", "veel")]).await;
        assert_eq!(words.status(), 422);
        let body = words.text().await.unwrap();
        assert!(body.contains(&at_field("nl", "expires_in_days", "vul een heel getal in")), "{body}");
        not_english(&body, "expires_in_days");
    }
}
