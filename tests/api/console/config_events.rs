//! The event webhook pages of the console's configuration: the endpoints with their
//! deliveries counted by state, a delivery that fails with its reason in words, requeue,
//! replay from a Dutch time, pause and resume, registering and deleting, all checked through
//! the admin API and a real receiver; admins only, the form protection, and the reasons at
//! the replay field.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Browser, csrf};
use crate::support::app::{Backend, TestApp, spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::events::*;
use crate::support::net::free_port;
use crate::support::staff::*;

const PAGE: &str = "/console/config/event-endpoints";

/// A server with fast retries, giving up after `max_attempts`, and a bootstrap admin.
async fn spawn(backend: Backend, max_attempts: u32) -> TestApp {
    spawn_app_with(backend, |s| {
        fast_retries(s);
        with_bootstrap_admin(s);
        s.outbox_max_attempts = max_attempts;
    })
    .await
}

/// The admin, logged in to the console.
async fn admin(app: &TestApp) -> Browser<'_> {
    let mut browser = Browser::new(app);
    browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    browser
}

/// The endpoint as the admin API shows it.
async fn api_endpoint(app: &TestApp, id: &str) -> Value {
    let (status, view) = app.admin_json(Method::GET, &format!("/api/v1/admin/event-endpoints/{id}"), None).await;
    assert_eq!(status, 200, "{view}");
    view
}

/// The `Location` of a `303`.
fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 303);
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// A `datetime-local` value in Dutch time, `minutes` from now.
fn dutch_time(minutes: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(minutes))
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

on_both_backends! {
    async fn an_admin_sees_each_endpoint_with_its_deliveries_counted_by_state(backend: Backend) {
        let app = spawn(backend, 30).await;
        let mut receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url(), "description": "zaaksysteem", "departments": ["openbare-verlichting"]})).await;
        let id = endpoint["id"].as_str().unwrap().to_owned();
        receiver.start(endpoint["secret"].as_str().unwrap()).await;
        file(&app, &street_light_report()).await;
        file(&app, &street_light_report()).await;
        wait_for_deliveries(&app, &id, "delivered", |d| d.len() == 2).await;
        let browser = admin(&app).await;
        let list = browser.page(PAGE, 200).await;
        assert!(list.contains(&format!("href=\"{PAGE}\" aria-current=\"page\"")), "{list}");
        assert!(list.contains(&format!("<a href=\"{PAGE}/{id}\">{}</a>", receiver.url())), "{list}");
        assert!(list.contains("<td>zaaksysteem</td>") && list.contains("<td>actief</td>"), "{list}");
        assert!(list.contains("afdelingen: openbare-verlichting") && list.contains("<td>niet meegestuurd</td>"), "{list}");
        assert!(list.contains("<td>2</td>\n<td>0</td>\n<td>0</td>\n<td>0</td>"), "delivered, waiting, failing, dead: {list}");
        let page = browser.page(&format!("{PAGE}/{id}?state=delivered"), 200).await;
        assert!(page.contains("aria-current=\"true\"") && page.contains("<option value=\"delivered\" selected>"), "{page}");
        assert_eq!(page.matches("nieuwe melding <code>report.created</code>").count(), 2, "{page}");
        assert!(page.contains("<td>afgeleverd</td>"), "{page}");
        let english = browser.page(&format!("{PAGE}/{id}?lang=en"), 200).await;
        assert!(english.contains("Webhooks for reports") && english.contains("new report") && english.contains("<td>delivered</td>"), "{english}");
    }

    async fn a_receiver_that_is_down_shows_the_failing_delivery_with_its_reason_in_words(backend: Backend) {
        let app = spawn(backend, 30).await;
        let receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url()})).await;
        let id = endpoint["id"].as_str().unwrap().to_owned();
        let report = file(&app, &street_light_report()).await;
        let failing = wait_for_deliveries(&app, &id, "failing", |d| d.len() == 1).await;
        let last_error = failing[0]["last_error"].as_str().unwrap().to_owned();
        assert_eq!(failing[0]["last_error_class"], "webhook_unreachable");
        let reference = app.get_json(&format!("/api/v1/reports/{report}")).await["reference"].as_str().unwrap().to_owned();
        assert_eq!(failing[0]["report_reference"], reference.as_str(), "the API names the report by its reference too");
        let browser = admin(&app).await;
        let page = browser.page(&format!("{PAGE}/{id}?state=failing"), 200).await;
        assert!(page.contains("<td>mislukt, wordt opnieuw geprobeerd</td>"), "{page}");
        assert!(page.contains("Het adres was niet bereikbaar: verbinding geweigerd"), "{page}");
        assert!(page.contains(&format!("<a href=\"/console/reports/{report}\"><code>{reference}</code></a>")), "the report by its reference: {page}");
        assert!(page.contains(&format!("<span lang=\"en\">{last_error}</span>")), "the API's own words, marked English: {page}");
        let list = browser.page(PAGE, 200).await;
        assert!(list.contains("<td>0</td>\n<td>1</td>\n<td>1</td>\n<td>0</td>"), "one waiting, and failing: {list}");
        let delivered = browser.page(&format!("{PAGE}/{id}?state=delivered"), 200).await;
        assert!(delivered.contains("Er zijn geen leveringen in deze staat."), "{delivered}");
        let bad = browser.page(&format!("{PAGE}/{id}?state=kapot"), 422).await;
        assert!(bad.contains("id=\"state-error\"") && bad.contains("aria-describedby=\"state-error\""), "{bad}");
    }

    async fn requeue_and_replay_from_the_page_say_how_many_and_reach_the_receiver(backend: Backend) {
        let app = spawn(backend, 2).await;
        let mut receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url()})).await;
        let id = endpoint["id"].as_str().unwrap().to_owned();
        file(&app, &street_light_report()).await;
        file(&app, &street_light_report()).await;
        wait_for_deliveries(&app, &id, "dead", |d| d.len() == 2).await;
        let browser = admin(&app).await;
        let address = format!("{PAGE}/{id}");
        let page = browser.page(&format!("{address}?state=dead"), 200).await;
        assert_eq!(page.matches("<td>opgegeven</td>").count(), 2, "{page}");
        receiver.start(endpoint["secret"].as_str().unwrap()).await;
        let token = csrf(&page);
        let requeued = browser.post(&address, &[("csrf", &token), ("action", "requeue")]).await;
        let back = location(&requeued);
        assert_eq!(back, format!("{address}?done=requeued&n=2"));
        assert!(browser.page(&back, 200).await.contains("2 opgegeven leveringen opnieuw in de wachtrij."));
        receiver.wait_for(2).await;
        wait_for_deliveries(&app, &id, "delivered", |d| d.len() == 2).await;

        let since = dutch_time(-60);
        let replayed = browser.post(&address, &[("csrf", &token), ("action", "replay"), ("since", &since)]).await;
        let back = location(&replayed);
        assert_eq!(back, format!("{address}?done=replayed&n=2"));
        assert!(browser.page(&back, 200).await.contains("2 gebeurtenissen opnieuw in de wachtrij."));
        let events = receiver.wait_for(4).await;
        assert_eq!(events.iter().filter(|e| e["replay"] == true).count(), 2);
        wait_for_deliveries(&app, &id, "delivered", |d| d.len() == 4).await;
        let page = browser.page(&address, 200).await;
        assert_eq!(page.matches("(opnieuw afgespeeld)").count(), 2, "{page}");
    }

    async fn an_admin_pauses_and_resumes_an_endpoint_and_registers_and_deletes_one(backend: Backend) {
        let app = spawn(backend, 30).await;
        let receiver = Receiver::new(free_port());
        let browser = admin(&app).await;
        let list = browser.page(PAGE, 200).await;
        assert!(list.contains("Er zijn nog geen webhooks voor meldingen."), "{list}");
        let token = csrf(&list);
        let made = browser.post(PAGE, &[("csrf", &token), ("action", "create"), ("url", &receiver.url()), ("description", "koppeling")]).await;
        assert_eq!(made.status(), 200);
        assert_eq!(made.headers()["cache-control"], "no-store");
        let made = made.text().await.unwrap();
        let at = made.find("id=\"new-secret\"").expect("the secret, shown once");
        let secret = made[at..].split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
        assert!(secret.len() >= 32, "{secret}");
        let (_, endpoints) = app.admin_json(Method::GET, "/api/v1/admin/event-endpoints", None).await;
        let id = endpoints[0]["id"].as_str().unwrap().to_owned();
        assert_eq!((endpoints[0]["url"].as_str(), endpoints[0]["description"].as_str()), (Some(receiver.url().as_str()), Some("koppeling")));
        assert!(!browser.page(PAGE, 200).await.contains(&secret), "shown once");

        let address = format!("{PAGE}/{id}");
        let paused = browser.post(&address, &[("csrf", &token), ("action", "pause")]).await;
        assert_eq!(location(&paused), format!("{address}?done=paused"));
        assert_eq!(api_endpoint(&app, &id).await["active"], false);
        let page = browser.page(&format!("{address}?done=paused"), 200).await;
        assert!(page.contains("De webhook is gepauzeerd") && page.contains("<dd>gepauzeerd</dd>") && page.contains("value=\"resume\""), "{page}");
        let resumed = browser.post(&address, &[("csrf", &token), ("action", "resume")]).await;
        assert_eq!(location(&resumed), format!("{address}?done=resumed"));
        assert_eq!(api_endpoint(&app, &id).await["active"], true);

        let deleted = browser.post(&address, &[("csrf", &token), ("action", "delete")]).await;
        assert_eq!(location(&deleted), format!("{PAGE}?done=deleted"));
        let (status, _) = app.admin_json(Method::GET, &format!("/api/v1/admin/event-endpoints/{id}"), None).await;
        assert_eq!(status, 404);
        assert!(browser.page(&format!("{PAGE}?done=deleted"), 200).await.contains("De webhook en haar leveringen zijn verwijderd."));
        assert!(browser.page(&address, 404).await.contains("Deze webhook bestaat niet (meer)."));
        let bad = browser.post(PAGE, &[("csrf", &token), ("action", "create"), ("url", "ftp://nee"), ("description", "")]).await;
        assert_eq!(bad.status(), 422);
        let bad = bad.text().await.unwrap();
        assert!(bad.contains("aria-describedby=\"url-hint url-error\"") && bad.contains("<p class=\"field-error\" lang=\"en\" id=\"url-error\">"), "{bad}");
    }

    async fn an_admin_registers_an_endpoint_with_filters_and_the_contact_and_a_bad_filter_is_refused_at_its_field(backend: Backend) {
        let app = spawn(backend, 30).await;
        let receiver = Receiver::new(free_port());
        let browser = admin(&app).await;
        let list = browser.page(PAGE, 200).await;
        assert!(list.contains("<legend>Welke gebeurtenissen</legend>") && list.contains("value=\"report.merged\""), "{list}");
        let token = csrf(&list);
        let url = receiver.url();
        let form = |departments: &'static str| {
            vec![
                ("csrf", token.clone()),
                ("action", "create".to_owned()),
                ("url", url.clone()),
                ("events", "report.created".to_owned()),
                ("events", "report.status_changed".to_owned()),
                ("departments", departments.to_owned()),
                ("categories", "straatverlichting-openbare-klok".to_owned()),
                ("areas", "WK091710, BU09171000".to_owned()),
                ("include_reporter_contact", "on".to_owned()),
            ]
        };
        let bad_form = form("openbare-verlichting, bestaat-niet");
        let bad = browser.post(PAGE, &bad_form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
        assert_eq!(bad.status(), 422);
        let bad = bad.text().await.unwrap();
        assert!(bad.contains("id=\"departments-error\"") && bad.contains("aria-describedby=\"departments-hint departments-error\""), "{bad}");
        assert!(bad.contains("value=\"openbare-verlichting, bestaat-niet\"") && bad.contains("value=\"report.created\" checked"), "the form keeps what was typed: {bad}");
        let (_, endpoints) = app.admin_json(Method::GET, "/api/v1/admin/event-endpoints", None).await;
        assert_eq!(endpoints.as_array().unwrap().len(), 0, "nothing registered");

        let good_form = form("openbare-verlichting");
        let made = browser.post(PAGE, &good_form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
        assert_eq!(made.status(), 200);
        let (_, endpoints) = app.admin_json(Method::GET, "/api/v1/admin/event-endpoints", None).await;
        let endpoint = &endpoints[0];
        assert_eq!(endpoint["events"], json!(["report.created", "report.status_changed"]), "{endpoint}");
        assert_eq!(endpoint["departments"], json!(["openbare-verlichting"]));
        assert_eq!(endpoint["categories"], json!(["straatverlichting-openbare-klok"]));
        assert_eq!(endpoint["areas"], json!(["WK091710", "BU09171000"]));
        assert_eq!(endpoint["include_reporter_contact"], true);
        assert!(endpoint["contact_allowed_by"].is_string(), "allowed in the admin's name: {endpoint}");
    }

    async fn only_admins_may_use_the_event_webhook_pages_and_a_form_without_the_token_changes_nothing(backend: Backend) {
        let app = spawn(backend, 30).await;
        let receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url()})).await;
        let id = endpoint["id"].as_str().unwrap().to_owned();
        let address = format!("{PAGE}/{id}");
        let admin_token = admin_token(&app).await;
        staff_account(&app, &admin_token, "coordinator@heerlen.example", "coordinator", &[]).await;
        let mut coordinator = Browser::new(&app);
        coordinator.log_in("coordinator@heerlen.example", STAFF_PASSWORD).await;
        let queue = coordinator.page("/console", 200).await;
        assert!(coordinator.page(PAGE, 403).await.contains("Alleen voor beheerders"));
        assert!(coordinator.page(&address, 403).await.contains("Alleen voor beheerders"));
        let posted = coordinator.post(&address, &[("csrf", &csrf(&queue)), ("action", "pause")]).await;
        assert_eq!(posted.status(), 403);
        assert_eq!(api_endpoint(&app, &id).await["active"], true);

        let browser = admin(&app).await;
        let token = csrf(&browser.page(&address, 200).await);
        assert_eq!(browser.post(&address, &[("action", "pause")]).await.status(), 403, "no token");
        let cross = browser.post_from(&address, &[("csrf", &token), ("action", "delete")], "cross-site", Some("https://evil.example")).await;
        assert_eq!(cross.status(), 403, "another site");
        assert!(cross.text().await.unwrap().contains("Er is niets veranderd"));
        assert_eq!(api_endpoint(&app, &id).await["active"], true, "still active, still there");
        let signed_out = Browser::new(&app).get(&address).await;
        assert_eq!(signed_out.status(), 303);
    }

    async fn a_replay_without_a_readable_past_moment_answers_422_with_the_reason_at_the_field(backend: Backend) {
        let app = spawn(backend, 30).await;
        let mut receiver = Receiver::new(free_port());
        let endpoint = register(&app, json!({"url": receiver.url()})).await;
        let id = endpoint["id"].as_str().unwrap().to_owned();
        receiver.start(endpoint["secret"].as_str().unwrap()).await;
        file(&app, &street_light_report()).await;
        receiver.wait_for(1).await;
        let browser = admin(&app).await;
        let address = format!("{PAGE}/{id}");
        let token = csrf(&browser.page(&address, 200).await);
        for (since, reason, lang) in [
            ("", "vul een datum en tijd in", "nl"),
            ("gisteren", "dit is geen datum en tijd", "nl"),
            (&*dutch_time(24 * 60), "since lies in the future", "en"),
        ] {
            let refused = browser.post(&address, &[("csrf", &token), ("action", "replay"), ("since", since)]).await;
            assert_eq!(refused.status(), 422, "{since}");
            let page = refused.text().await.unwrap();
            assert!(page.contains("aria-describedby=\"since-hint since-error\""), "{page}");
            assert!(page.contains(&format!("<p class=\"field-error\" lang=\"{lang}\" id=\"since-error\">{reason}")), "{page}");
            assert!(page.contains("role=\"alert\"") && page.contains("href=\"#since\""), "{page}");
            assert!(page.contains(&format!("name=\"since\" value=\"{since}\"")), "the moment as typed: {page}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(receiver.events().len(), 1, "nothing replayed");
        assert_eq!(deliveries(&app, &id, "all").await.len(), 1);
    }
}
