//! The log scan (`support::logs`, `support::pii`) proves itself: it recognises personal data
//! and leaves ids, times, references and ports alone, and the requests most likely to log
//! personal data are logged at debug level, into the sink, without any of it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{TestApp, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::logs::{self, FILTER};
use crate::support::pii::{self, Kind};
use crate::support::staff::*;

fn kinds(line: &str) -> Vec<Kind> {
    pii::scan(line).into_iter().map(|f| f.kind).collect()
}

#[test]
fn the_log_scanner_finds_an_email_address_a_phone_number_an_iban_a_licence_plate_and_a_seeded_name() {
    let line =
        "2026-12-05T06:00:00.123456Z  WARN request{method=POST route=/api/v1/reports}: rejected email=bad@@example.nl";
    assert_eq!(kinds(line), [Kind::Email]);
    assert_eq!(pii::redact(line), line.replace("bad@@example.nl", "[EMAIL]"));
    for (text, kind) in [
        ("to=lamp@heerlen.example", Kind::Email),
        ("q=piet%40example.nl", Kind::Email),
        ("bel 0698765432.", Kind::Phone),
        ("tel 06-12345678", Kind::Phone),
        ("tel: 045 560 1234", Kind::Phone),
        ("phone=+31 6 9876 5432", Kind::Phone),
        ("phone=+31612345678", Kind::Phone),
        ("phone=0031612345678", Kind::Phone),
        ("rekening NL91ABNA0417164300", Kind::Iban),
        ("rekening NL91 ABNA 0417 1643 00 graag", Kind::Iban),
        ("iban=DE89370400440532013000", Kind::Iban),
        ("auto XK-123-B staat", Kind::LicencePlate),
        ("plate=12-ABC-3", Kind::LicencePlate),
        ("name=\"Piet Klaassen\"", Kind::Seeded),
    ] {
        assert_eq!(kinds(text), [kind], "{text}");
        assert!(pii::redact(text).contains(kind.marker()), "{text}");
    }
}

#[test]
fn the_log_scanner_leaves_ids_timestamps_references_ports_and_area_codes_alone() {
    for line in [
        "2026-12-05T06:00:00.012345678Z DEBUG request{method=GET route=/api/v1/reports/{id} \
         request_id=06123456-7890-4abc-8def-0612345678ab status=200}: request finished status=200",
        "2026-12-05T06:00:00.0612345678Z  INFO report filed report_id=01937a3c-0698-7654-3210-069876543210 \
         reference=K7QM-3XRD source=web",
        "INFO meldpunt is listening address=127.0.0.1:0 port=41234 backend=Postgresql intake_writers=1",
        "cannot open the database postgres://postgres@127.0.0.1:5432/meldpunt_test_0698765432abcdef0698765432abcdef",
        "areas imported level=buurt year=2025 imported=57 areas=BU09171000 WK091710 GM0917",
        "retention run finished run=12 millis=0.0698765432 anonymised_reports=3",
        "announcement published announcement_id=3f2c9a1e-1b2c-4d5e-8f90-123456789012 deliveries=10",
        "json-ld @id @type @value; elapsed=1234567890ns; token=test-admin-token-0123456789",
        "DEBUG request{request_id=00244872-9640-4530-b9be-0123456789ab}: request finished status=200",
        "WARN no active admin account yet: enter the setup code 0012-3456-7890-ABCD to make the first admin",
        "WARN enter the setup code 0012-3456-7890-1234 to make the first admin",
    ] {
        assert_eq!(kinds(line), [], "{line}");
    }
}

async fn file(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_report(body, None).await
}

on_both_backends! {
    setup = spawn_staff_app;

    async fn requests_that_carry_personal_data_are_logged_at_debug_level_without_any_of_it(app) {
        let mark = logs::mark();
        let contact = json!({"email": "piet.klaassen@example.nl", "name": "Piet Klaassen", "phone": "0698765432"});
        let mut rejected = street_light_report();
        rejected["description"] = json!("bel Piet Klaassen 0698765432, auto XK-123-B, rekening NL91ABNA0417164300");
        rejected["reporter"] = json!({"email": "bad@@example.nl", "name": "Piet Klaassen", "phone": "0698765432"});
        assert_eq!(file(&app, &rejected).await.status(), 422);

        let mut filed = street_light_report();
        filed["description"] = json!("De lamp is uit; bel Piet Klaassen op +31 6 9876 5432 of 0698765432.");
        filed["reporter"] = contact.clone();
        let response = file(&app, &filed).await;
        assert_eq!(response.status(), 201);
        let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();

        let support = format!("/api/v1/reports/{id}/support");
        let me_too = send(&app, Method::POST, &support, None, Some(json!({"email": "buurman.bakker@example.nl"}))).await;
        assert_eq!(me_too.status(), 201);
        let me_too = send(&app, Method::POST, &support, None, Some(json!({"email": "bad@@example.nl"}))).await;
        assert_eq!(me_too.status(), 422);

        let subscription = json!({"channel": "email", "email": "buurman.bakker@example.nl", "areas": ["BU09171000"]});
        let subscribed = send(&app, Method::POST, "/api/v1/subscriptions", None, Some(subscription)).await;
        assert_eq!(subscribed.status(), 202);

        let admin = admin_token(&app).await;
        let (_, lamp) = staff_account(&app, &admin, "kees.lampen@heerlen.example", "department_staff", &["openbare-verlichting"]).await;
        let detail: Value = send(&app, Method::GET, &format!("/api/v1/staff/reports/{id}"), Some(&lamp), None).await.json().await.unwrap();
        assert_eq!(detail["reporter"]["email"], "piet.klaassen@example.nl", "staff see the contact");

        let login = json!({"email": "kees.lampen@heerlen.example", "password": "niet-het-wachtwoord"});
        assert_eq!(send(&app, Method::POST, "/api/v1/auth/login", None, Some(login)).await.status(), 401);
        let login = json!({"email": "bad@@example.nl", "password": "x"});
        let status = send(&app, Method::POST, "/api/v1/auth/login", None, Some(login)).await.status();
        assert!(status == 401 || status == 422, "{status}");

        // Other tests log meanwhile: these lines are the run's since the mark, which hold ours.
        let lines = logs::lines_since(mark);
        for (method, route, status, message) in [
            ("POST", "/api/v1/reports", 422, "request rejected"),
            ("POST", "/api/v1/reports", 201, "request finished"),
            ("POST", "/api/v1/reports/{id}/support", 201, "request finished"),
            ("POST", "/api/v1/reports/{id}/support", 422, "request rejected"),
            ("POST", "/api/v1/subscriptions", 202, "request finished"),
            ("GET", "/api/v1/staff/reports/{id}", 200, "request finished"),
            ("POST", "/api/v1/auth/login", 401, "request rejected"),
        ] {
            let span = format!("method={method} route={route} ");
            assert!(
                lines.iter().any(|l| l.contains(&span) && l.contains(&format!("status={status}")) && l.contains(message)),
                "the sink has no line `{message}` for {method} {route} -> {status}: is the log level below debug for \
                 meldpunt (tests use {FILTER:?})? See {}",
                logs::log_file().display()
            );
        }
        assert!(lines.iter().any(|l| l.contains("report filed") && l.contains(&id)), "the intake is logged with its id");
        let leaks: Vec<String> = lines.iter().filter(|l| !pii::scan(l).is_empty()).map(|l| pii::redact(l)).collect();
        assert!(leaks.is_empty(), "log lines with personal data (see {}):\n{}", logs::log_file().display(), leaks.join("\n"));
    }
}
