//! Announcements to neighbourhood subscribers: fan-out once per subscription across
//! overlapping areas and tags, a stopped SMTP server, scheduled publication, and public
//! reading as JSON, Atom and iCalendar with no personal data.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::app::expect_problem;
use crate::support::backends::on_both_backends;
use crate::support::net::{free_port, wait_for};
use crate::support::smtp::{SmtpServer, mails_in, smtp_app, token_after};
use crate::support::staff::*;
use crate::support::subscriptions::*;

on_both_backends! {
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

    async fn announcements_wait_for_a_stopped_smtp_server_and_arrive_once_and_an_ended_subscription_gets_nothing(backend: Backend) {
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
        // The ended subscription's messages are cancelled by the worker at their next retry,
        // which may come before the withdrawal or the count: what is not pending is cancelled.
        let cancelled_now = response["deliveries"].as_i64().unwrap();
        assert!((1..=2).contains(&cancelled_now), "pending deliveries of a withdrawn announcement are cancelled: {response}");
        assert_eq!(count_of(&deliveries(&app, &admin, &withdrawn).await, "email", "cancelled"), 2);
        let kept = deliveries(&app, &admin, &id).await;
        assert_eq!(
            (count_of(&kept, "email", "pending") + count_of(&kept, "email", "cancelled"), count_of(&kept, "email", "sent")),
            (2, 0),
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
        assert_eq!(app.outbox_counts().await.pending, 0);
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
}
