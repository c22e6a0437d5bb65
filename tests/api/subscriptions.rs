//! Neighbourhood subscriptions and announcements through the HTTP API, on both backends:
//! double opt-in against a real SMTP server (aiosmtpd), one-click unsubscribe from the
//! message's own headers, one-tap answers, fan-out once per subscription across overlapping
//! areas and tags, webhooks verified by a challenge and signed, a stopped SMTP server,
//! public reading and feeds, and no personal data in public or staff answers.

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect_problem, pointers, spawn_app_with};
use crate::staff_helpers::*;
use crate::staff_mail::{SmtpServer, free_port, smtp_app, wait_for};

/// A point inside buurt BU09171000 (Maria Gewanden, wijk WK091710).
const MARIA_GEWANDEN: (f64, f64) = (50.92488, 5.91675);

fn decoded(text: &str) -> String {
    text.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=")
}

fn mails_in(folder: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else { return Vec::new() };
    let mut texts: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|t| decoded(&t))
        .collect();
    texts.sort();
    texts
}

/// The token after `marker` in `text`.
fn token_after(text: &str, marker: &str) -> String {
    let start = text.find(marker).unwrap_or_else(|| panic!("no {marker} in {text}")) + marker.len();
    text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// The value of a header of a raw message (unfolded).
fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message).replace("\r\n ", " ").replace("\r\n\t", " ");
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

async fn subscribe(app: &TestApp, body: Value) -> Value {
    let response = app.client.post(app.url("/api/v1/subscriptions")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap_or_default());
    response.json().await.unwrap()
}

async fn confirm(app: &TestApp, message: &str) {
    let token = token_after(message, "/api/v1/subscriptions/confirm/");
    let path = format!("/api/v1/subscriptions/confirm/{token}");
    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\">"), "a GET only shows a button");
    let confirmed = app.client.post(app.url(&path)).send().await.unwrap();
    assert_eq!(confirmed.status(), 200);
    assert_eq!(app.client.post(app.url(&path)).send().await.unwrap().status(), 404, "a confirmation link works once");
}

async fn announce(app: &TestApp, token: &str, body: Value) -> String {
    let created = send(app, Method::POST, "/api/v1/staff/announcements", Some(token), Some(body)).await;
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap_or_default());
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["status"], "draft");
    created["id"].as_str().unwrap().to_owned()
}

async fn publish(app: &TestApp, token: &str, id: &str) -> Value {
    let response =
        send(app, Method::POST, &format!("/api/v1/staff/announcements/{id}/publish"), Some(token), None).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap_or_default());
    response.json().await.unwrap()
}

async fn deliveries(app: &TestApp, token: &str, id: &str) -> Value {
    let response =
        send(app, Method::GET, &format!("/api/v1/staff/announcements/{id}/deliveries"), Some(token), None).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The delivery counts once `channel` has `expected` deliveries in `state`: the worker
/// records an outcome after the message has left, so a peer can hold a message a moment
/// before its delivery counts as sent. Fails after 10 s.
async fn deliveries_once(app: &TestApp, token: &str, id: &str, channel: &str, state: &str, expected: i64) -> Value {
    let mut status = deliveries(app, token, id).await;
    for _ in 0..200 {
        if count_of(&status, channel, state) == expected {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = deliveries(app, token, id).await;
    }
    panic!("expected {expected} {channel} deliveries {state}, have {status}");
}

fn count_of(deliveries: &Value, channel: &str, state: &str) -> i64 {
    deliveries
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == channel && d["state"] == state)
        .map_or(0, |d| d["count"].as_i64().unwrap())
}

fn open_db(app: &TestApp) -> meldpunt::storage::Database {
    meldpunt::storage::Database::open(&meldpunt::storage::DatabaseSettings {
        url: app.database_url.clone(),
        pool_size: 2,
        pool_timeout: Duration::from_secs(5),
        sqlite_synchronous: meldpunt::storage::SqliteSynchronous::Full,
    })
    .unwrap()
}

async fn answer_counts(app: &TestApp, id: &str) -> Vec<(String, i32, i64)> {
    let db = open_db(app);
    let id = uuid::Uuid::parse_str(id).unwrap();
    tokio::task::spawn_blocking(move || {
        let mut counts = meldpunt::storage::announcements::answer_counts(&mut db.conn().unwrap(), id).unwrap();
        counts.sort();
        counts
    })
    .await
    .unwrap()
}

async fn outbox_counts(app: &TestApp) -> meldpunt::storage::outbox::OutboxCounts {
    let db = open_db(app);
    tokio::task::spawn_blocking(move || meldpunt::storage::outbox::counts(&mut db.conn().unwrap()).unwrap())
        .await
        .unwrap()
}

fn roadworks(areas: Value) -> Value {
    json!({
        "title": "Werkzaamheden Akerstraat",
        "body": "Van 1 tot 5 december is de Akerstraat afgesloten.",
        "areas": areas,
        "tags": ["roadworks"],
        "question": {"text": "Welke speeltoestellen wilt u?", "options": ["Schommel", "Klimrek", "Zandbak"]}
    })
}

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

async fn folder_app(backend: Backend, folder: &Path) -> TestApp {
    let path = folder.display().to_string();
    spawn_app_with(backend, |s| {
        s.bootstrap_admin_email = ADMIN_EMAIL.into();
        s.bootstrap_admin_password = ADMIN_PASSWORD.into();
        s.mail_dir = path.clone();
        s.public_url = "https://meldpunt.test".into();
        s.outbox_poll_ms = 50;
        s.announcement_poll_ms = 100;
        // Small batches: deliveries of one announcement are claimed over several batches.
        s.outbox_batch = 2;
    })
    .await
}

/// Subscribes `email` with `body` and confirms through the emailed link.
async fn confirmed(app: &TestApp, folder: &Path, email: &str, mut body: Value) {
    body["channel"] = json!("email");
    body["email"] = json!(email);
    subscribe(app, body).await;
    let mut found = None;
    for _ in 0..200 {
        found = mails_in(folder).into_iter().find(|m| m.contains(email) && m.contains("/subscriptions/confirm/"));
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    confirm(app, &found.unwrap_or_else(|| panic!("no confirmation for {email}"))).await;
}

async fn one_announcement_reaches_each_matching_subscription_once_across_overlapping_areas_and_tags(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let app = folder_app(backend, folder.path()).await;
    let admin = admin_token(&app).await;
    let (lat, lon) = MARIA_GEWANDEN;
    let point = json!({"lat": lat, "lon": lon, "radius_m": 100});
    confirmed(
        &app,
        folder.path(),
        "overlap@example.nl",
        json!({"areas": ["BU09171000", "WK091710", "GM0917"], "point": point}),
    )
    .await;
    confirmed(&app, folder.path(), "punt@example.nl", json!({"point": point})).await;
    confirmed(&app, folder.path(), "gemeente@example.nl", json!({"areas": ["GM0917"]})).await;
    confirmed(
        &app,
        folder.path(),
        "wegen@example.nl",
        json!({"areas": ["BU09171000"], "tags": ["roadworks", "safety"]}),
    )
    .await;
    confirmed(&app, folder.path(), "feest@example.nl", json!({"areas": ["BU09171000"], "tags": ["event"]})).await;
    confirmed(&app, folder.path(), "centrum@example.nl", json!({"areas": ["BU09173300"]})).await;
    let polygon = json!({"type": "Polygon", "coordinates": [[[5.91, 50.92], [5.92, 50.92], [5.92, 50.93], [5.91, 50.93], [5.91, 50.92]]]});
    confirmed(&app, folder.path(), "vlak@example.nl", json!({"polygon": polygon})).await;
    subscribe(&app, json!({"channel": "email", "email": "nooit-bevestigd@example.nl", "areas": ["BU09171000"]})).await;

    let id = announce(&app, &admin, roadworks(json!(["BU09171000"]))).await;
    let view = send(&app, Method::GET, &format!("/api/v1/staff/announcements/{id}"), Some(&admin), None).await;
    let view: Value = view.json().await.unwrap();
    assert_eq!(view["covered_areas"], json!(["BU09171000"]));
    // overlap, punt, gemeente, wegen and vlak; not the event-only, centrum or unconfirmed ones.
    assert_eq!(publish(&app, &admin, &id).await["deliveries"], 5);
    let again =
        send(&app, Method::POST, &format!("/api/v1/staff/announcements/{id}/publish"), Some(&admin), None).await;
    expect_problem(again, 409).await;
    wait_for(
        "announcement emails",
        || mails_in(folder.path()).iter().filter(|m| m.contains("Werkzaamheden")).count(),
        5,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received: Vec<String> = mails_in(folder.path()).into_iter().filter(|m| m.contains("Werkzaamheden")).collect();
    assert_eq!(received.len(), 5, "each subscription once");
    for email in ["overlap@", "punt@", "gemeente@", "wegen@", "vlak@"] {
        assert_eq!(received.iter().filter(|m| m.contains(email)).count(), 1, "{email}");
    }

    // A gemeente-wide announcement reaches the buurt subscribers too, and the centrum one.
    let city = announce(
        &app,
        &admin,
        json!({"title": "Koningsdag", "body": "Feest in de hele stad.", "areas": ["GM0917"], "tags": ["event"]}),
    )
    .await;
    assert_eq!(publish(&app, &admin, &city).await["deliveries"], 6);

    // An announcement that reaches few of the subscriptions is matched by probing its cells
    // instead of walking every subscription; the answer is the same.
    confirmed(&app, folder.path(), "maastricht@example.nl", json!({"areas": ["GM0935"]})).await;
    let elsewhere =
        announce(&app, &admin, json!({"title": "Markt", "body": "Markt op het Vrijthof.", "areas": ["GM0935"]})).await;
    assert_eq!(publish(&app, &admin, &elsewhere).await["deliveries"], 1);
    wait_for(
        "the Maastricht announcement",
        || mails_in(folder.path()).iter().filter(|m| m.contains("Vrijthof")).count(),
        1,
    )
    .await;
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
        s.bootstrap_admin_email = ADMIN_EMAIL.into();
        s.bootstrap_admin_password = ADMIN_PASSWORD.into();
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
    let mut active = false;
    for _ in 0..100 {
        if app.get_json(&format!("/api/v1/subscriptions/manage/{manage}")).await["status"] == "active" {
            active = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(active, "the webhook is active after echoing the challenge");

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
}

async fn announcements_wait_for_a_stopped_smtp_server_and_arrive_once_and_an_ended_subscription_gets_nothing(
    backend: Backend,
) {
    let port = free_port();
    let smtp = SmtpServer::start(port);
    let app = smtp_app(backend, port, 100, 50).await;
    let admin = admin_token(&app).await;
    subscribe(&app, json!({"channel": "email", "email": "blijft@example.nl", "areas": ["BU09171000"]})).await;
    subscribe(&app, json!({"channel": "email", "email": "vertrekt@example.nl", "areas": ["BU09171000"]})).await;
    wait_for("confirmations", || smtp.messages().len(), 2).await;
    let messages = smtp.messages();
    let stays = messages.iter().find(|m| m.contains("blijft@")).unwrap().clone();
    let leaves = messages.iter().find(|m| m.contains("vertrekt@")).unwrap().clone();
    confirm(&app, &stays).await;
    confirm(&app, &leaves).await;
    let leaving_token = token_after(&leaves, "/api/v1/subscriptions/manage/");
    drop(smtp);

    let id = announce(&app, &admin, roadworks(json!(["BU09171000"]))).await;
    assert_eq!(publish(&app, &admin, &id).await["deliveries"], 2);
    let withdrawn =
        announce(&app, &admin, json!({"title": "Vergissing", "body": "Dit klopt niet.", "areas": ["BU09171000"]}))
            .await;
    assert_eq!(publish(&app, &admin, &withdrawn).await["deliveries"], 2);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let ended =
        app.client.delete(app.url(&format!("/api/v1/subscriptions/manage/{leaving_token}"))).send().await.unwrap();
    assert_eq!(ended.status(), 204);
    let response =
        send(&app, Method::POST, &format!("/api/v1/staff/announcements/{withdrawn}/withdraw"), Some(&admin), None)
            .await;
    assert_eq!(response.status(), 200);
    let response: Value = response.json().await.unwrap();
    assert_eq!(response["deliveries"], 2, "pending deliveries of a withdrawn announcement are cancelled");
    assert_eq!(
        count_of(&deliveries(&app, &admin, &id).await, "email", "pending"),
        2,
        "nothing lost while the server is down"
    );

    let smtp = SmtpServer::start(port);
    wait_for("the announcement after the server came back", || smtp.messages().len(), 1).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "exactly once, only to the subscriber who stayed: {messages:?}");
    assert!(messages[0].contains("blijft@") && messages[0].contains("Werkzaamheden"));
    let status = deliveries(&app, &admin, &id).await;
    assert_eq!((count_of(&status, "email", "sent"), count_of(&status, "email", "cancelled")), (1, 1));
    assert_eq!(outbox_counts(&app).await.pending, 0);
}

async fn residents_read_current_announcements_for_a_place_as_json_atom_and_icalendar(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let app = folder_app(backend, folder.path()).await;
    let admin = admin_token(&app).await;
    let mut body = roadworks(json!(["WK091710"]));
    body["title"] = json!("Afsluiting; Akerstraat, \"noord\" & zuid");
    body["body"] =
        json!(format!("{}\nTweede regel met één lange zin die zeker langer is dan vijfenzeventig octetten.", "Lang"));
    body["valid_until"] = json!((chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339());
    let id = announce(&app, &admin, body).await;
    let draft = app.get_json("/api/v1/announcements?area=BU09171000").await;
    assert_eq!(draft, json!([]), "a draft is not public");
    publish(&app, &admin, &id).await;

    let (lat, lon) = MARIA_GEWANDEN;
    for path in [
        "/api/v1/announcements?area=BU09171000".to_owned(),
        "/api/v1/announcements?area=WK091710".to_owned(),
        format!("/api/v1/announcements?lat={lat}&lon={lon}"),
    ] {
        let list = app.get_json(&path).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{path}");
        assert!(list[0].get("created_by").is_none());
    }
    assert_eq!(app.get_json("/api/v1/announcements?area=BU09173300").await, json!([]), "elsewhere: nothing");
    expect_problem(app.get("/api/v1/announcements").await, 422).await;
    expect_problem(app.get("/api/v1/announcements?area=BU99999999").await, 422).await;

    let atom = app.get("/api/v1/announcements/feed.atom?area=BU09171000").await;
    assert_eq!(atom.status(), 200);
    assert!(atom.headers()["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    let atom = atom.text().await.unwrap();
    let document = roxmltree::Document::parse(&atom).unwrap();
    let entries: Vec<_> = document.descendants().filter(|n| n.has_tag_name("entry")).collect();
    assert_eq!(entries.len(), 1);
    let title = entries[0].children().find(|n| n.has_tag_name("title")).unwrap().text().unwrap();
    assert_eq!(title, "Afsluiting; Akerstraat, \"noord\" & zuid");

    let ics = app.get("/api/v1/announcements/feed.ics?area=WK091710").await;
    assert!(ics.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
    let ics = ics.text().await.unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    assert!(ics.split("\r\n").all(|line| line.len() <= 75), "lines are folded at 75 octets");
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains("SUMMARY:Afsluiting\\; Akerstraat\\, \"noord\" & zuid\r\n"), "{unfolded}");
    assert!(unfolded.contains("\\nTweede regel met één lange zin"));
    assert!(unfolded.contains("DTEND:") && unfolded.contains("CATEGORIES:roadworks"));
    for text in [&atom, &ics] {
        assert!(!text.contains("staff:") && !text.contains(ADMIN_EMAIL));
    }

    let withdrawn =
        send(&app, Method::POST, &format!("/api/v1/staff/announcements/{id}/withdraw"), Some(&admin), None).await;
    assert_eq!(withdrawn.status(), 200);
    assert_eq!(app.get_json("/api/v1/announcements?area=BU09171000").await, json!([]), "withdrawn: gone");
    assert!(
        !app.get("/api/v1/announcements/feed.atom?area=BU09171000").await.text().await.unwrap().contains("<entry>")
    );
}

async fn a_scheduled_announcement_is_published_by_the_background_loop(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let app = folder_app(backend, folder.path()).await;
    let admin = admin_token(&app).await;
    confirmed(&app, folder.path(), "later@example.nl", json!({"areas": ["BU09171000"]})).await;
    let id = announce(&app, &admin, roadworks(json!(["BU09171000"]))).await;
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let response = send(
        &app,
        Method::POST,
        &format!("/api/v1/staff/announcements/{id}/publish"),
        Some(&admin),
        Some(json!({"at": at.to_rfc3339()})),
    )
    .await;
    let response: Value = response.json().await.unwrap();
    assert_eq!(response["status"], "scheduled");
    assert_eq!(app.get_json("/api/v1/announcements?area=BU09171000").await, json!([]));
    wait_for(
        "the scheduled announcement",
        || mails_in(folder.path()).iter().filter(|m| m.contains("Werkzaamheden")).count(),
        1,
    )
    .await;
    let view: Value = send(&app, Method::GET, &format!("/api/v1/staff/announcements/{id}"), Some(&admin), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "published");
    assert_eq!(app.get_json("/api/v1/announcements?area=BU09171000").await.as_array().unwrap().len(), 1);
}

async fn bad_subscriptions_and_announcements_are_refused_with_the_fields_named(backend: Backend) {
    let app = crate::staff_helpers::spawn_staff_app(backend).await;
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

async fn a_subscriber_of_a_category_hears_about_new_public_reports_in_their_area(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let app = folder_app(backend, folder.path()).await;
    let report = crate::helpers::street_light_report();
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
    use crate::push_helpers::{TEST_VAPID_PUBLIC_KEY, push_service, with_test_vapid_keys};
    let service = push_service();
    let without_push = crate::staff_helpers::spawn_staff_app(backend).await;
    let subscriber = service.subscriber().await;
    let body = json!({"channel": "push", "endpoint": subscriber.endpoint, "keys": {"p256dh": subscriber.p256dh, "auth": subscriber.auth}, "areas": ["BU09171000"]});
    let refused = without_push.client.post(without_push.url("/api/v1/subscriptions")).json(&body).send().await.unwrap();
    assert_eq!(pointers(&expect_problem(refused, 422).await), vec!["/channel"]);
    expect_problem(without_push.get("/api/v1/subscriptions/push-key").await, 404).await;

    let app = spawn_app_with(backend, |s| {
        s.bootstrap_admin_email = ADMIN_EMAIL.into();
        s.bootstrap_admin_password = ADMIN_PASSWORD.into();
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

macro_rules! both {
    ($($name:ident),*) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    super::$name(crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    super::$name(crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

use crate::helpers::spawn_app;

both!(
    a_resident_subscribes_confirms_receives_answers_with_one_tap_and_unsubscribes_in_one_click,
    one_announcement_reaches_each_matching_subscription_once_across_overlapping_areas_and_tags,
    a_webhook_is_active_once_it_echoes_the_challenge_and_receives_signed_announcements,
    announcements_wait_for_a_stopped_smtp_server_and_arrive_once_and_an_ended_subscription_gets_nothing,
    residents_read_current_announcements_for_a_place_as_json_atom_and_icalendar,
    a_scheduled_announcement_is_published_by_the_background_loop,
    bad_subscriptions_and_announcements_are_refused_with_the_fields_named,
    a_subscriber_of_a_category_hears_about_new_public_reports_in_their_area,
    a_push_subscriber_receives_announcements_encrypted_and_a_gone_subscription_is_ended
);
