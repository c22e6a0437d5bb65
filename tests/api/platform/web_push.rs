//! The Web Push transport (`meldpunt::notify::webpush::send`) against a real push service
//! peer (`tests/push_service/push_service.py`), which checks the VAPID signature and
//! decrypts the message with the subscriber's private key as a browser would.

use std::time::{SystemTime, UNIX_EPOCH};

use meldpunt::notify::webpush::{self, PushError, PushTarget, VapidKeys};

use crate::support::push::*;

fn target(subscriber: &Subscriber) -> PushTarget<'_> {
    PushTarget { endpoint: &subscriber.endpoint, p256dh: &subscriber.p256dh, auth: &subscriber.auth }
}

#[tokio::test]
async fn a_delivered_push_message_decrypts_to_the_payload_and_carries_a_valid_vapid_signature() {
    let service = push_service();
    let subscriber = service.subscriber_for(TEST_VAPID_PUBLIC_KEY).await;
    let keys = test_vapid_keys();
    let payload = r#"{"title":"Wegafsluiting Akerstraat","body":"Van 3 tot 7 december"}"#;
    let client = webpush::client().unwrap();
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();

    webpush::send(&client, &keys, &target(&subscriber), payload.as_bytes(), 3600).await.unwrap();

    let messages = service.messages(&subscriber).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert_eq!(message.status, 201);
    assert_eq!(message.payload(), payload.as_bytes());
    assert_eq!(message.json()["title"], "Wegafsluiting Akerstraat");
    assert_eq!(message.aud.as_deref(), Some(service.origin.as_str()));
    assert_eq!(message.sub.as_deref(), Some(TEST_VAPID_SUBJECT));
    assert_eq!(message.k.as_deref(), Some(TEST_VAPID_PUBLIC_KEY));
    let exp = message.exp.unwrap();
    assert!(exp > before && exp <= before + 24 * 3600, "exp {exp}");
    assert_eq!(message.ttl.as_deref(), Some("3600"));
    assert_eq!(message.urgency.as_deref(), Some("normal"));
    assert_eq!(message.content_encoding.as_deref(), Some("aes128gcm"));
    assert!(service.attempts(&subscriber).await.iter().all(|a| a.status == 201));
}

#[tokio::test]
async fn a_subscription_whose_endpoint_answers_410_is_gone() {
    let service = push_service();
    let subscriber = service.subscriber().await;
    service.make_gone(&subscriber).await;
    let client = webpush::client().unwrap();

    let outcome = webpush::send(&client, &test_vapid_keys(), &target(&subscriber), b"hello", 60).await;

    assert_eq!(outcome, Err(PushError::Gone));
    assert_eq!(service.attempts(&subscriber).await.len(), 1);
    assert!(service.messages(&subscriber).await.is_empty());
}

#[tokio::test]
async fn an_unknown_endpoint_is_gone_and_other_refusals_fail_without_naming_the_endpoint() {
    let service = push_service();
    let client = webpush::client().unwrap();
    let keys = test_vapid_keys();
    let subscriber = service.subscriber().await;
    let unknown =
        Subscriber { endpoint: format!("{}/push/no-such-subscription", service.origin), ..subscriber.clone() };
    assert_eq!(webpush::send(&client, &keys, &target(&unknown), b"x", 60).await, Err(PushError::Gone));

    service.answer_with(&subscriber, 500).await;
    let Err(PushError::Failed(why)) = webpush::send(&client, &keys, &target(&subscriber), b"x", 60).await else {
        panic!("a 500 is a failure to retry")
    };
    assert!(why.contains("500"), "{why}");
    assert!(!why.contains(&subscriber.id) && !why.contains("127.0.0.1"), "{why}");

    service.answer_with(&subscriber, 0).await;
    webpush::send(&client, &keys, &target(&subscriber), b"again", 60).await.unwrap();
    assert_eq!(service.wait_for_messages(&subscriber, 1).await[0].text, "again");
}

#[tokio::test]
async fn a_message_signed_with_another_application_servers_key_is_refused() {
    let service = push_service();
    let subscriber = service.subscriber_for(TEST_VAPID_PUBLIC_KEY).await;
    let (other_private, _) = webpush::generate_key_pair();
    let other = VapidKeys::from_settings(&other_private, TEST_VAPID_SUBJECT).unwrap();
    let client = webpush::client().unwrap();

    let outcome = webpush::send(&client, &other, &target(&subscriber), b"hello", 60).await;

    assert!(matches!(&outcome, Err(PushError::Failed(why)) if why.contains("403")), "{outcome:?}");
    let attempts = service.attempts(&subscriber).await;
    assert!(attempts[0].reason.contains("applicationServerKey"), "{attempts:?}");
    assert!(service.messages(&subscriber).await.is_empty());
}

#[tokio::test]
async fn the_push_service_peer_refuses_a_forged_signature_a_wrong_audience_and_an_undecryptable_body() {
    let service = push_service();
    let subscriber = service.subscriber().await;
    let keys = test_vapid_keys();
    let http = reqwest::Client::new();
    let now = SystemTime::now();
    let body = b"\x00not an aes128gcm body".to_vec();
    let post = |authorization: String, body: Vec<u8>| {
        http.post(&subscriber.endpoint)
            .header("TTL", "60")
            .header("Content-Encoding", "aes128gcm")
            .header("Authorization", authorization)
            .body(body)
            .send()
    };

    let (other_private, _) = webpush::generate_key_pair();
    let other = VapidKeys::from_settings(&other_private, TEST_VAPID_SUBJECT).unwrap();
    let forged = format!("vapid t={}, k={TEST_VAPID_PUBLIC_KEY}", other.token(&service.origin, now));
    assert_eq!(post(forged, body.clone()).await.unwrap().status(), 403);
    let elsewhere = keys.authorization("https://push.example.net", now);
    assert_eq!(post(elsewhere, body.clone()).await.unwrap().status(), 403);
    let expired = keys.authorization(&service.origin, now - std::time::Duration::from_secs(13 * 3600));
    assert_eq!(post(expired, body.clone()).await.unwrap().status(), 403);
    assert_eq!(post(keys.authorization(&service.origin, now), body).await.unwrap().status(), 400);

    let reasons: Vec<String> = service.attempts(&subscriber).await.into_iter().map(|a| a.reason).collect();
    assert!(reasons[0].contains("signature"), "{reasons:?}");
    assert!(reasons[1].contains("aud"), "{reasons:?}");
    assert!(reasons[2].contains("exp"), "{reasons:?}");
    assert!(reasons[3].contains("decrypt"), "{reasons:?}");
    assert!(service.messages(&subscriber).await.is_empty());
    let refused = service.refused().await;
    assert_eq!(refused.iter().filter(|r| r.subscriber.as_deref() == Some(subscriber.id.as_str())).count(), 4);
}
