//! What the log says about rejected input, with the binary run as an operator runs it:
//! each rejection is one WARN line with the error's type and the pointers of the fields at
//! fault, and never what the resident typed.

use serde_json::json;

use crate::support::app::{ADMIN_TOKEN, fresh_database};
use crate::support::backends::on_both_backends;
use crate::support::process::{start, stop};

/// What the resident typed, none of which may reach the log.
const SECRETS: [&str; 6] = ["bad@@example.nl", "Klaassen", "0698765432", "XK-123-B", "NL91ABNA", "geheim-adres"];

async fn reject_everything(address: &str) {
    let client = reqwest::Client::new();
    let report = json!({
        "category": "straatverlichting-openbare-klok",
        "description": "bel Piet Klaassen 0698765432, auto XK-123-B, rekening NL91ABNA0417164300",
        "location": {"lat": 50.8882, "lon": 5.9795},
        "address": "geheim-adres 1",
        "reporter": {"email": "bad@@example.nl", "name": "Piet Klaassen", "phone": "0698765432"}
    });
    let response = client.post(format!("{address}/api/v1/reports")).json(&report).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let body = response.text().await.unwrap();
    assert!(body.contains("'bad@@example.nl' is not a valid email address"), "the resident is told: {body}");

    let mut wrong_type = report.clone();
    wrong_type["reporter"]["consent_to_contact"] = json!("ja, bel 0698765432");
    let response = client.post(format!("{address}/api/v1/reports")).json(&wrong_type).send().await.unwrap();
    assert_eq!(response.status(), 422);

    let mut form: Vec<(&str, &str)> = crate::support::open311::bulky_waste();
    for (field, value) in form.iter_mut() {
        match *field {
            "email" => *value = "bad@@example.nl",
            "description" => *value = "bel Piet Klaassen 0698765432",
            _ => {}
        }
    }
    let response = client.post(format!("{address}/open311/v2/requests.json")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 400);

    let created = client
        .post(format!("{address}/api/v1/reports"))
        .json(&json!({
            "category": "straatverlichting-openbare-klok",
            "description": "De lamp is uit.",
            "location": {"lat": 50.8882, "lon": 5.9795},
            "answers": {"probleem": "uit", "aantal_lampen": 1}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let response = client
        .post(format!("{address}/api/v1/staff/reports/{id}/moderation"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"action": "hide", "text": "Piet Klaassen 0698765432"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
}

fn assert_types_and_pointers_but_no_values(logs: &str) {
    let rejected: Vec<&str> = logs.lines().filter(|l| l.contains("request rejected")).collect();
    assert!(
        rejected.iter().any(|l| l.contains("WARN") && l.contains("validation-failed") && l.contains("/reporter/email")),
        "the intake rejection is logged with its type and field: {logs}"
    );
    assert!(rejected.iter().any(|l| l.contains("/reporter/consent_to_contact")), "{logs}");
    assert!(rejected.iter().any(|l| l.contains("open311") && l.contains("email")), "{logs}");
    assert!(rejected.iter().any(|l| l.contains("validation-failed") && l.contains("/text")), "{logs}");
    assert!(!logs.contains("Error encountered while processing"), "{logs}");
    for secret in SECRETS {
        assert!(!logs.contains(secret), "the log holds {secret:?}:\n{logs}");
    }
}

on_both_backends! {
    async fn rejected_input_is_logged_with_its_type_and_fields_but_never_what_the_resident_typed(backend: Backend) {
        let dir = tempfile::tempdir().unwrap();
        let (url, _guard) = fresh_database(backend);
        // At the default log level, as an operator runs it.
        let env = [("DATABASE_URL", url.as_str()), ("MELDPUNT_ADMIN_TOKEN", ADMIN_TOKEN), ("MELDPUNT_LOG", "info")];
        let server = start(dir.path(), &env).await;
        reject_everything(&server.address).await;
        let (clean, logs) = stop(server);
        assert!(clean, "{logs}");
        assert_types_and_pointers_but_no_values(&logs);
    }
}
