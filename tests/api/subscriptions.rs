//! Neighbourhood subscriptions through the HTTP API: double opt-in against a real SMTP
//! server (aiosmtpd), one-click unsubscribe from the message's own headers, one-tap
//! answers, webhooks verified by a challenge and signed, Web Push, alerts of new reports,
//! and refusals that name the field.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{TestApp, expect_problem, pointers, spawn_app, spawn_app_with};
use crate::support::backends::on_both_backends;
use crate::support::net::{free_port, wait_for};
use crate::support::smtp::{SmtpServer, mails_in, smtp_app, token_after};
use crate::support::staff::*;
use crate::support::subscriptions::*;

async fn answer_counts(app: &TestApp, id: &str) -> Vec<(String, i32, i64)> {
    let db = app.database();
    let id = uuid::Uuid::parse_str(id).unwrap();
    tokio::task::spawn_blocking(move || {
        let mut counts = meldpunt::storage::announcements::answer_counts(&mut db.conn().unwrap(), id).unwrap();
        counts.sort();
        counts
    })
    .await
    .unwrap()
}

/// Waits (up to 5 s) until the webhook subscription of `manage` echoed its challenge.
async fn until_active(app: &TestApp, manage: &str) {
    for _ in 0..100 {
        if app.get_json(&format!("/api/v1/subscriptions/manage/{manage}")).await["status"] == "active" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the webhook is active after echoing the challenge");
}

on_both_backends! {
    async fn a_resident_subscribes_confirms_receives_answers_with_one_tap_and_unsubscribes_in_one_click(backend: Backend) {
        let port = free_port();
        let smtp = SmtpServer::start(port);
        let app = smtp_app(backend, port, 200, 10).await;
        let admin = admin_token(&app).await;
        let resident =
            subscribe(&app, json!({"channel": "email", "email": "buurtbewoner@example.nl", "areas": ["BU09171000"]})).await;
        assert_eq!(resident["status"], "pending");
        assert!(resident.get("manage_token").is_none(), "an email subscriber gets the management link by email only");
        subscribe(
            &app,
            json!({"channel": "email", "email": "elders@example.nl", "areas": ["BU09173300"], "language": "en"}),
        )
        .await;
        wait_for("confirmation emails", || smtp.messages().len(), 2).await;

        // Nothing but the confirmation before the link is used.
        let early = announce(&app, &admin, roadworks(json!(["WK091710"]))).await;
        assert_eq!(publish(&app, &admin, &early).await["deliveries"], 0);

        let messages = smtp.messages();
        let to_resident = messages.iter().find(|m| m.contains("buurtbewoner@example.nl")).unwrap();
        assert!(to_resident.contains("Bevestig uw aanmelding"), "{to_resident}");
        let to_elsewhere = messages.iter().find(|m| m.contains("elders@example.nl")).unwrap();
        assert!(to_elsewhere.contains("Confirm your subscription"));
        confirm(&app, to_resident).await;
        confirm(&app, to_elsewhere).await;

        let id = announce(&app, &admin, roadworks(json!(["WK091710"]))).await;
        assert_eq!(publish(&app, &admin, &id).await, json!({"status": "published", "deliveries": 1}));
        wait_for("the announcement", || smtp.messages().len(), 3).await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let messages = smtp.messages();
        assert_eq!(messages.len(), 3, "the subscriber elsewhere receives nothing");
        let mail = messages.iter().find(|m| m.contains("Werkzaamheden Akerstraat")).unwrap();
        assert!(mail.contains("buurtbewoner@example.nl") && mail.contains("Korte vraag: Welke speeltoestellen wilt u?"));
        assert!(!mail.contains(&early), "the announcement published before confirmation never arrives");

        // One-tap answer: the GET shows a button, the POST records; the API changes it.
        let answer_link =
            mail.lines().find(|l| l.starts_with("- Klimrek: ")).unwrap().trim_start_matches("- Klimrek: ").trim();
        let path = answer_link.trim_start_matches("https://meldpunt.test");
        let page = app.get(path).await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Klimrek"));
        assert!(answer_counts(&app, &id).await.is_empty(), "a GET (a mail scanner) records nothing");
        assert_eq!(app.client.post(app.url(path)).send().await.unwrap().status(), 200);
        assert_eq!(answer_counts(&app, &id).await, vec![("BU09171000".to_owned(), 1, 1)]);
        let forged = path.replacen("_1_", "_2_", 1);
        assert_eq!(app.client.post(app.url(&forged)).send().await.unwrap().status(), 404, "an altered link is refused");
        let manage = token_after(mail, "/api/v1/subscriptions/manage/");
        let changed = app
            .client
            .post(app.url(&format!("/api/v1/subscriptions/manage/{manage}/answers")))
            .json(&json!({"announcement_id": id, "option": 2}))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 204);
        assert_eq!(answer_counts(&app, &id).await, vec![("BU09171000".to_owned(), 2, 1)], "one answer per subscription");

        // Results hide the single answer; staff see counts only.
        let results = app.get_json(&format!("/api/v1/announcements/{id}/results")).await;
        let text = results.to_string();
        assert!(text.contains("fewer than 5") && !text.contains("\"count\":1"), "{text}");
        let status = deliveries_once(&app, &admin, &id, "email", "sent", 1).await;
        assert!(!status.to_string().contains("example.nl"));

        // One-click unsubscribe with the URL from the message's own headers (RFC 8058).
        assert_eq!(header(mail, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
        let list_unsubscribe = header(mail, "List-Unsubscribe").unwrap();
        let url = list_unsubscribe.trim_start_matches('<').split('>').next().unwrap();
        assert!(url.starts_with("https://meldpunt.test/api/v1/subscriptions/unsubscribe/"), "{url}");
        let one_click = app
            .client
            .post(app.url(url.trim_start_matches("https://meldpunt.test")))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(one_click.status(), 200);
        let view = app.get_json(&format!("/api/v1/subscriptions/manage/{manage}")).await;
        assert_eq!(view["status"], "ended");
        assert!(!view.to_string().contains("buurtbewoner"));
        let later = announce(&app, &admin, roadworks(json!(["BU09171000"]))).await;
        assert_eq!(publish(&app, &admin, &later).await["deliveries"], 0, "an ended subscription gets nothing");
    }

    async fn a_webhook_is_active_once_it_echoes_the_challenge_and_receives_signed_announcements(backend: Backend) {
        use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
        use std::sync::{Arc, Mutex};
        type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;
        let received: Received = Arc::default();
        let store = received.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            let store = store.clone();
            App::new().route(
                "/hook",
                web::post().to(move |request: HttpRequest, body: web::Bytes| {
                    let store = store.clone();
                    async move {
                        let signature = request
                            .headers()
                            .get("Meldpunt-Signature")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        store.lock().unwrap().push((signature, body.to_vec()));
                        let value: Value = serde_json::from_slice(&body).unwrap_or_default();
                        if value["type"] == "challenge" {
                            HttpResponse::Ok().json(json!({"challenge": value["challenge"]}))
                        } else {
                            HttpResponse::NoContent().finish()
                        }
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);

        let refusing = spawn_app(backend).await;
        for url in ["http://hooks.example.org/x", "https://127.0.0.1/x", "https://10.0.0.7/x", "https://localhost/x"] {
            let response = refusing
                .client
                .post(refusing.url("/api/v1/subscriptions"))
                .json(&json!({"channel": "webhook", "url": url, "areas": ["BU09171000"]}))
                .send()
                .await
                .unwrap();
            let problem = expect_problem(response, 422).await;
            assert_eq!(pointers(&problem), vec!["/url"], "{url}");
        }

        let app = spawn_app_with(backend, |s| {
            with_bootstrap_admin(s);
            s.webhook_allow_insecure = true;
            s.outbox_poll_ms = 50;
        })
        .await;
        let hook_url = format!("http://127.0.0.1:{port}/hook");
        let created =
            subscribe(&app, json!({"channel": "webhook", "url": hook_url, "areas": ["BU09171000"], "tags": ["roadworks"]}))
                .await;
        let secret = created["secret"].as_str().unwrap().to_owned();
        let manage = created["manage_token"].as_str().unwrap().to_owned();
        wait_for("the challenge", || received.lock().unwrap().len(), 1).await;
        until_active(&app, &manage).await;

        let admin = admin_token(&app).await;
        let id = announce(&app, &admin, roadworks(json!(["WK091710"]))).await;
        assert_eq!(publish(&app, &admin, &id).await["deliveries"], 1);
        wait_for("the announcement POST", || received.lock().unwrap().len(), 2).await;
        let (signature, body) = received.lock().unwrap()[1].clone();
        let (t, v1) = signature.split_once(',').unwrap();
        let t = t.strip_prefix("t=").unwrap();
        let v1 = v1.strip_prefix("v1=").unwrap();
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(&body);
        assert_eq!(hex::encode(mac.finalize().into_bytes()), v1, "the payload is signed with the subscription's secret");
        assert!((chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap()).abs() < 60);
        let payload: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(payload["title"], "Werkzaamheden Akerstraat");
        assert_eq!(payload["question"]["options"].as_array().unwrap().len(), 3);
        let status = deliveries_once(&app, &admin, &id, "webhook", "sent", 1).await;
        assert!(!status.to_string().contains("127.0.0.1") && !status.to_string().contains(&secret));

        // A second webhook, for new reports of a category nearby: its challenge, then the alert.
        let report = crate::support::app::street_light_report();
        let near = json!({"lat": report["location"]["lat"], "lon": report["location"]["lon"], "radius_m": 200});
        let second = subscribe(
            &app,
            json!({"channel": "webhook", "url": hook_url, "point": near, "categories": ["straatverlichting-openbare-klok"]}),
        )
        .await;
        wait_for("the second challenge", || received.lock().unwrap().len(), 3).await;
        until_active(&app, second["manage_token"].as_str().unwrap()).await;
        assert_eq!(app.post_report(&report, None).await.status(), 201);
        wait_for("the report alert", || received.lock().unwrap().len(), 4).await;

        // Every body matches its webhook in the OpenAPI document.
        let document = crate::support::contract::document(&app).await;
        let bodies: Vec<Value> =
            received.lock().unwrap().iter().map(|(_, body)| serde_json::from_slice(body).unwrap()).collect();
        let kinds: Vec<&str> = bodies.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["challenge", "announcement", "challenge", "report"]);
        for body in &bodies {
            let name = format!("subscription.{}", body["type"].as_str().unwrap());
            crate::support::contract::assert_matches_webhook(&document, &name, body);
        }
        assert_eq!(bodies[3]["category"], "straatverlichting-openbare-klok");
    }

    async fn a_subscriber_of_a_category_hears_about_new_public_reports_in_their_area(backend: Backend) {
        let folder = tempfile::tempdir().unwrap();
        let app = folder_app(backend, folder.path()).await;
        let report = crate::support::app::street_light_report();
        let (lat, lon) = (report["location"]["lat"].clone(), report["location"]["lon"].clone());
        let near = json!({"lat": lat, "lon": lon, "radius_m": 200});
        confirmed(
            &app,
            folder.path(),
            "lampen@example.nl",
            json!({"point": near, "categories": ["straatverlichting-openbare-klok"]}),
        )
        .await;
        confirmed(&app, folder.path(), "afval@example.nl", json!({"point": near, "categories": ["afval"]})).await;
        confirmed(
            &app,
            folder.path(),
            "ver-weg@example.nl",
            json!({"areas": ["BU09171000"], "categories": ["straatverlichting-openbare-klok"]}),
        )
        .await;
        confirmed(&app, folder.path(), "alleen-berichten@example.nl", json!({"point": near})).await;
        let refused = app
            .client
            .post(app.url("/api/v1/subscriptions"))
            .json(&json!({"channel": "email", "email": "x@example.nl", "areas": ["BU09171000"], "categories": ["bestaat-niet"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(pointers(&expect_problem(refused, 422).await), vec!["/categories"]);
        let filed = app.post_report(&report, None).await;
        assert_eq!(filed.status(), 201);
        let filed: Value = filed.json().await.unwrap();
        let reference = filed["reference"].as_str().unwrap();
        let alerts =
            || mails_in(folder.path()).into_iter().filter(|m| m.contains("Nieuwe melding in uw buurt")).collect::<Vec<_>>();
        wait_for("the report alert", || alerts().len(), 1).await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let alerts = alerts();
        assert_eq!(alerts.len(), 1, "only the subscriber of that category nearby, once");
        assert!(alerts[0].contains("lampen@example.nl") && alerts[0].contains(reference));
        assert!(header(&alerts[0], "List-Unsubscribe").is_some());
    }

    async fn a_push_subscriber_receives_announcements_encrypted_and_a_gone_subscription_is_ended(backend: Backend) {
        use crate::support::push::{TEST_VAPID_PUBLIC_KEY, push_service, with_test_vapid_keys};
        let service = push_service();
        let without_push = crate::support::staff::spawn_staff_app(backend).await;
        let subscriber = service.subscriber().await;
        let body = json!({"channel": "push", "endpoint": subscriber.endpoint, "keys": {"p256dh": subscriber.p256dh, "auth": subscriber.auth}, "areas": ["BU09171000"]});
        let refused = without_push.client.post(without_push.url("/api/v1/subscriptions")).json(&body).send().await.unwrap();
        assert_eq!(pointers(&expect_problem(refused, 422).await), vec!["/channel"]);
        expect_problem(without_push.get("/api/v1/subscriptions/push-key").await, 404).await;

        let app = spawn_app_with(backend, |s| {
            with_bootstrap_admin(s);
            s.webhook_allow_insecure = true;
            s.outbox_poll_ms = 50;
            with_test_vapid_keys(s);
        })
        .await;
        let key = app.get_json("/api/v1/subscriptions/push-key").await;
        assert_eq!(key["application_server_key"], TEST_VAPID_PUBLIC_KEY);
        let mut bad = body.clone();
        bad["keys"]["p256dh"] = json!("bm90LWEta2V5");
        let refused = app.client.post(app.url("/api/v1/subscriptions")).json(&bad).send().await.unwrap();
        assert_eq!(pointers(&expect_problem(refused, 422).await), vec!["/keys"]);
        let created = subscribe(&app, body).await;
        let manage = created["manage_token"].as_str().unwrap().to_owned();
        assert_eq!(app.get_json(&format!("/api/v1/subscriptions/manage/{manage}")).await["status"], "active");

        let admin = admin_token(&app).await;
        let id = announce(&app, &admin, roadworks(json!(["WK091710"]))).await;
        assert_eq!(publish(&app, &admin, &id).await["deliveries"], 1);
        let messages = service.wait_for_messages(&subscriber, 1).await;
        let payload = messages[0].json();
        assert_eq!(payload["title"], "Werkzaamheden Akerstraat");
        assert!(payload["question"]["options"][0]["answer_url"].as_str().unwrap().contains("/api/v1/answers/mpa_"));
        let status = deliveries_once(&app, &admin, &id, "push", "sent", 1).await;
        assert!(!status.to_string().contains(&subscriber.endpoint));

        service.make_gone(&subscriber).await;
        let second = announce(&app, &admin, roadworks(json!(["BU09171000"]))).await;
        assert_eq!(publish(&app, &admin, &second).await["deliveries"], 1);
        let mut ended = false;
        for _ in 0..200 {
            if app.get_json(&format!("/api/v1/subscriptions/manage/{manage}")).await["status"] == "ended" {
                ended = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ended, "a subscription the push service calls gone is ended");
        deliveries_once(&app, &admin, &second, "push", "cancelled", 1).await;
    }

    async fn bad_subscriptions_and_announcements_are_refused_with_the_fields_named(backend: Backend) {
        let app = crate::support::staff::spawn_staff_app(backend).await;
        let admin = admin_token(&app).await;
        let cases = [
            (json!({"channel": "email", "email": "geen-adres", "areas": ["BU09171000"]}), vec!["/email"]),
            (json!({"channel": "email", "email": "a@example.nl", "areas": ["BU99999999"]}), vec!["/areas"]),
            (json!({"channel": "email", "email": "a@example.nl"}), vec!["/areas"]),
            (
                json!({"channel": "email", "email": "a@example.nl", "point": {"lat": 50.9, "lon": 5.9, "radius_m": 5}}),
                vec!["/point"],
            ),
            (
                json!({"channel": "email", "email": "a@example.nl", "areas": ["BU09171000"], "tags": ["Wegen werk"], "language": "fr"}),
                vec!["/tags", "/language"],
            ),
        ];
        for (body, expected) in cases {
            let response = app.client.post(app.url("/api/v1/subscriptions")).json(&body).send().await.unwrap();
            let problem = expect_problem(response, 422).await;
            assert_eq!(pointers(&problem), expected, "{body}");
        }
        let mut body = roadworks(json!(["WK091710"]));
        body["question"] = json!({"text": "?", "options": ["alleen"]});
        let response = send(&app, Method::POST, "/api/v1/staff/announcements", Some(&admin), Some(body)).await;
        assert_eq!(pointers(&expect_problem(response, 422).await), vec!["/question/options"]);
        let response =
            send(&app, Method::POST, "/api/v1/staff/announcements", Some(&admin), Some(json!({"title": "", "areas": []})))
                .await;
        assert_eq!(pointers(&expect_problem(response, 422).await), vec!["/title", "/body", "/areas"]);
        let response =
            send(&app, Method::POST, "/api/v1/staff/announcements", None, Some(roadworks(json!(["WK091710"])))).await;
        expect_problem(response, 401).await;
        let (_, analyst) = staff_account(&app, &admin, "analist@heerlen.example", "analyst", &[]).await;
        let response =
            send(&app, Method::POST, "/api/v1/staff/announcements", Some(&analyst), Some(roadworks(json!(["WK091710"]))))
                .await;
        expect_problem(response, 403).await;
        let (_, coordinator) = staff_account(&app, &admin, "coordinator@heerlen.example", "coordinator", &[]).await;
        announce(&app, &coordinator, roadworks(json!(["WK091710"]))).await;
        expect_problem(app.get("/api/v1/subscriptions/manage/mps_0_0").await, 404).await;
        expect_problem(app.client.post(app.url("/api/v1/answers/mpa_x")).send().await.unwrap(), 404).await;
    }
}
