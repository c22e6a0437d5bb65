//! The binary with staff at work: the bootstrap admin from the environment, and no
//! personal data, password or token in any log line (at debug level) or public answer.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::app::{Backend, fresh_database};
use crate::support::backends::on_both_backends;
use crate::support::process::{start, stop};
use crate::support::smtp::{mails_in, token_after};

const ADMIN: &str = "eerste.beheerder@heerlen.example";
const ADMIN_PASSWORD: &str = "bootstrap-wachtwoord-123";
const STAFF: &str = "k.lampen@heerlen.example";
const STAFF_PASSWORD: &str = "medewerker-wachtwoord-456";
const REPORTER: &str = "anna.de.vries@example.nl";
const REPORTER_NAME: &str = "Anna de Vries";
const SUPPORTER: &str = "piet.buurman@example.nl";
const SUBSCRIBER: &str = "buurtbericht.lezer@example.nl";

/// The first mail in `folder` containing every one of `needles`.
fn mail_with(folder: &std::path::Path, needles: &[&str]) -> Option<String> {
    mails_in(folder).into_iter().find(|t| needles.iter().all(|n| t.contains(n)))
}

on_both_backends! {
    async fn a_bootstrapped_deployment_at_work_logs_no_personal_data_passwords_or_tokens(backend: Backend) {
        match backend {
            // The binary's default database: data/meldpunt.sqlite3 in its folder.
            Backend::Sqlite => at_work(None).await,
            Backend::Postgres => {
                let (url, _guard) = fresh_database(Backend::Postgres);
                at_work(Some(&url)).await
            }
        }
    }
}

async fn at_work(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let mut env = vec![
        ("MELDPUNT_BOOTSTRAP_ADMIN_EMAIL", ADMIN),
        ("MELDPUNT_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("MELDPUNT_OUTBOX_POLL_MS", "50"),
    ];
    if let Some(url) = database_url {
        env.push(("DATABASE_URL", url));
    }
    let server = start(dir.path(), &env).await;
    let base = server.address.clone();
    let client = reqwest::Client::new();
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut request = client.post(format!("{base}{path}")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let login: Value = post("/api/v1/auth/login", None, json!({"email": ADMIN, "password": ADMIN_PASSWORD}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = login["token"].as_str().expect("the bootstrap admin can log in").to_owned();
    let wrong =
        post("/api/v1/auth/login", None, json!({"email": ADMIN, "password": "fout-wachtwoord-789"})).await.unwrap();
    assert_eq!(wrong.status(), 401);
    let created = post("/api/v1/admin/accounts", Some(&admin),
        json!({"email": STAFF, "name": "Kees Lampen", "role": "department_staff", "password": STAFF_PASSWORD, "departments": ["openbare-verlichting"]})).await.unwrap();
    assert_eq!(created.status(), 201);
    let staff: Value = post("/api/v1/auth/login", None, json!({"email": STAFF, "password": STAFF_PASSWORD}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let staff = staff["token"].as_str().unwrap().to_owned();
    let report: Value = post(
        "/api/v1/reports",
        None,
        json!({
            "category": "straatverlichting-openbare-klok",
            "description": "Lamp uit voor de school.",
            "location": {"lat": 50.8882, "lon": 5.9795},
            "answers": {"probleem": "uit", "aantal_lampen": 1},
            "reporter": {"email": REPORTER, "name": REPORTER_NAME, "phone": "+31 6 5555 0199"}
        }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = report["id"].as_str().unwrap().to_owned();
    assert_eq!(
        post(&format!("/api/v1/reports/{id}/support"), None, json!({"email": SUPPORTER})).await.unwrap().status(),
        201
    );
    let detail = client.get(format!("{base}/api/v1/staff/reports/{id}")).bearer_auth(&staff).send().await.unwrap();
    assert!(detail.text().await.unwrap().contains(REPORTER));
    let moved = post(
        &format!("/api/v1/staff/reports/{id}/transitions"),
        Some(&staff),
        json!({"to": "resolved", "text": "Vervangen."}),
    )
    .await
    .unwrap();
    assert_eq!(moved.status(), 200);
    // Confirmation, and the resolution to the reporter and the supporter.
    let mail = dir.path().join("mail");
    let deadline = Instant::now() + Duration::from_secs(20);
    while crate::support::smtp::mails_in(&mail).len() < 3 {
        assert!(Instant::now() < deadline, "the emails were not written to the mail folder");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let public = client.get(format!("{base}/api/v1/reports/{id}")).send().await.unwrap().text().await.unwrap();
    assert_eq!(post("/api/v1/auth/logout", Some(&staff), json!({})).await.unwrap().status(), 204);

    // A subscriber: subscribes, confirms, receives an announcement, answers, leaves.
    let subscribed =
        post("/api/v1/subscriptions", None, json!({"channel": "email", "email": SUBSCRIBER, "areas": ["BU09173300"]}))
            .await
            .unwrap();
    assert_eq!(subscribed.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    let confirmation = loop {
        if let Some(mail) = mail_with(&mail, &[SUBSCRIBER, "/subscriptions/confirm/"]) {
            break mail;
        }
        assert!(Instant::now() < deadline, "no confirmation email");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let confirm_token = token_after(&confirmation, "/api/v1/subscriptions/confirm/");
    let confirmed = client.post(format!("{base}/api/v1/subscriptions/confirm/{confirm_token}")).send().await.unwrap();
    assert_eq!(confirmed.status(), 200);
    let announcement: Value = post(
        "/api/v1/staff/announcements",
        Some(&admin),
        json!({"title": "Markt verplaatst", "body": "De markt staat deze week op het Pancratiusplein.",
               "areas": ["GM0917"], "question": {"text": "Goed idee?", "options": ["Ja", "Nee"]}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let announcement = announcement["id"].as_str().unwrap().to_owned();
    let published =
        post(&format!("/api/v1/staff/announcements/{announcement}/publish"), Some(&admin), json!({})).await.unwrap();
    assert_eq!(published.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    let received = loop {
        if let Some(mail) = mail_with(&mail, &[SUBSCRIBER, "Markt verplaatst"]) {
            break mail;
        }
        assert!(Instant::now() < deadline, "no announcement email");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let answer = token_after(&received, "/api/v1/answers/");
    assert_eq!(client.post(format!("{base}/api/v1/answers/{answer}")).send().await.unwrap().status(), 200);
    let manage = token_after(&received, "/api/v1/subscriptions/manage/");
    let left = client.delete(format!("{base}/api/v1/subscriptions/manage/{manage}")).send().await.unwrap();
    assert_eq!(left.status(), 204);
    let mut subscriber_facing = String::new();
    for path in [
        "/api/v1/announcements?area=BU09173300".to_owned(),
        "/api/v1/announcements/feed.atom?area=BU09173300".to_owned(),
        "/api/v1/announcements/feed.ics?area=WK091733".to_owned(),
        format!("/api/v1/announcements/{announcement}/results"),
    ] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        subscriber_facing.push_str(&response.text().await.unwrap());
    }
    let deliveries = client
        .get(format!("{base}/api/v1/staff/announcements/{announcement}/deliveries"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    subscriber_facing.push_str(&deliveries);
    assert!(subscriber_facing.contains("Markt verplaatst") && deliveries.contains("\"sent\""), "{subscriber_facing}");

    let (_, logs) = stop(server);
    assert!(logs.contains("created the first admin account"), "{logs}");
    assert!(logs.contains("staff login") && logs.contains("report status changed"), "{logs}");
    for secret in [SUBSCRIBER, &confirm_token, &manage, &answer, "mps_", "mpa_"] {
        assert!(!logs.contains(secret), "the log contains '{secret}'");
        assert!(!subscriber_facing.contains(secret), "a public or staff answer contains '{secret}'");
    }
    assert!(logs.contains("subscription confirmed") && logs.contains("announcement published"), "{logs}");
    for secret in [
        ADMIN,
        STAFF,
        REPORTER,
        SUPPORTER,
        "Anna",
        "Vries",
        // Whole values: a short digit run such as "5555" also occurs in random ids and times.
        "5555 0199",
        "655550199",
        ADMIN_PASSWORD,
        STAFF_PASSWORD,
        "fout-wachtwoord",
        "mpt_",
        &admin,
        &staff,
    ] {
        assert!(!logs.contains(secret), "the log contains '{secret}'");
        assert!(!public.contains(secret), "the public view contains '{secret}'");
    }
}
