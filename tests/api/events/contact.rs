//! The reporter's contact goes only to an endpoint allowed it, by an admin account, and
//! every delivery that carries it is in the audit log; every other endpoint gets what the
//! reporter typed with personal data masked.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::{spawn_app_with, street_light_report};
use crate::support::backends::on_both_backends;
use crate::support::contract::assert_report_events_match;
use crate::support::events::*;
use crate::support::net::free_port;
use crate::support::staff::{admin_token, send, with_bootstrap_admin};

const REPORTER_EMAIL: &str = "j.hendriks@example.nl";
const REPORTER_NAME: &str = "Jolien Hendriks";
/// A description with the reporter's phone number and email address in it.
const TYPED: &str =
    "De lamp bij Akerstraat 12 is uit, naast de auto XK-123-B. Bel me op 06-12345678 of mail j.hendriks@example.nl.";
/// [`TYPED`] without the reporter's ways of contact (the licence plate is what the report is about).
const MASKED: &str = "De lamp bij Akerstraat 12 is uit, naast de auto XK-123-B. Bel me op [telefoonnummer verborgen] of mail [e-mailadres verborgen].";

on_both_backends! {
    async fn the_reporter_contact_goes_only_to_an_endpoint_allowed_it_which_alone_gets_the_text_unmasked_and_each_delivery_is_audited(backend: Backend) {
        let app = spawn_app_with(backend, |s| {
            fast_retries(s);
            with_bootstrap_admin(s);
        })
        .await;
        let admin = admin_token(&app).await;
        let mut allowed = Receiver::new(free_port());
        let mut plain = Receiver::new(free_port());
        let register_as_admin = |body: Value| {
            let app = &app;
            let admin = admin.clone();
            async move {
                let response = send(app, Method::POST, "/api/v1/admin/event-endpoints", Some(&admin), Some(body)).await;
                assert_eq!(response.status(), 201);
                response.json::<Value>().await.unwrap()
            }
        };
        let with_contact = register_as_admin(json!({"url": allowed.url(), "include_reporter_contact": true})).await;
        let without = register_as_admin(json!({"url": plain.url()})).await;
        assert!(with_contact["contact_allowed_by"].is_string());
        allowed.start(with_contact["secret"].as_str().unwrap()).await;
        plain.start(without["secret"].as_str().unwrap()).await;
        let mut body = street_light_report();
        body["reporter"] = json!({"email": REPORTER_EMAIL, "name": REPORTER_NAME});
        body["description"] = json!(TYPED);
        let report = file(&app, &body).await;
        let anonymous = file(&app, &street_light_report()).await;
        let events = allowed.wait_for(2).await;
        let of = |id: &str| events.iter().find(|e| e["report"] == id).unwrap().clone();
        assert_eq!(of(&report)["reporter"]["email"], REPORTER_EMAIL);
        assert_eq!(of(&report)["reporter"]["name"], REPORTER_NAME);
        assert_eq!(of(&anonymous)["has_reporter"], false, "no contact, nothing to send");
        assert_report_events_match(&app, &events).await;
        assert_eq!(of(&report)["body"]["report"]["description"], TYPED, "as typed, to the endpoint allowed the contact");
        assert_eq!(of(&report)["body"]["report"]["personal_data_masked"], false);
        let others = plain.wait_for(2).await;
        assert!(others.iter().all(|e| e["has_reporter"] == false && e["signature_ok"] == true));
        let masked = others.iter().find(|e| e["report"] == report).unwrap()["body"]["report"].clone();
        assert_eq!(masked["description"], MASKED, "the reporter's contact in the text is masked for an endpoint not allowed it");
        assert_eq!(masked["personal_data_masked"], true);
        assert_report_events_match(&app, &others).await;
        let delivered = wait_for_deliveries(&app, with_contact["id"].as_str().unwrap(), "delivered", |d| d.len() == 2).await;
        let carried: Vec<bool> = delivered.iter().map(|d| d["contact_included"].as_bool().unwrap()).collect();
        assert_eq!(carried.iter().filter(|c| **c).count(), 1);
        let audit: Value = send(&app, Method::GET, &format!("/api/v1/admin/audit?report_id={report}"), Some(&admin), None).await.json().await.unwrap();
        let entries = audit.as_array().unwrap();
        assert_eq!(entries.len(), 1, "{audit}");
        assert_eq!(entries[0]["action"], "sent_reporter_contact");
        assert_eq!(entries[0]["account_id"], with_contact["contact_allowed_by"]);
        // Once the reporter is erased, their contact is never sent again (replay included).
        let reason = json!({"reason": "Verzoek van de melder"});
        assert_eq!(send(&app, Method::POST, &format!("/api/v1/admin/reports/{report}/anonymise"), Some(&admin), Some(reason)).await.status(), 200);
        let id = with_contact["id"].as_str().unwrap();
        let since = json!({"since": "2000-01-01T00:00:00Z"});
        let replayed = send(&app, Method::POST, &format!("/api/v1/admin/event-endpoints/{id}/replay"), Some(&admin), Some(since)).await;
        assert_eq!(replayed.status(), 202);
        let again = allowed.wait_for(4).await;
        assert!(again.iter().filter(|e| e["replay"] == true).all(|e| e["has_reporter"] == false), "{again:#?}");
        let replayed = again.iter().find(|e| e["replay"] == true && e["report"] == report.as_str()).unwrap();
        assert_eq!(replayed["body"]["report"]["description"], MASKED, "nor the contact in the text: {replayed}");
    }
}
