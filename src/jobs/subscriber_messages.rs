//! Delivery of outbox messages to subscribers: confirmation emails, webhook challenges,
//! announcements and report alerts by email, webhook or Web Push (a subscription whose push
//! service answers 404/410 is ended). The subscription and the announcement are read when
//! the message is sent, so a subscription that ended (or an announcement withdrawn) before
//! delivery gets nothing: the message is cancelled instead.

use lettre::message::Mailbox;
use uuid::Uuid;

use super::delivery::{OutboxSettings, Outcome};
use crate::domain::report::Language;
use crate::domain::subscription::{AnswerLink, LinkSigner, PushKeys, WebhookUrl};
use crate::notify::mail::Mailer;
use crate::notify::templates::subscribers::{
    AnnouncementMessage, SubscriberLinks, announcement_email, announcement_json, confirmation, report_alert,
};
use crate::notify::{webhook, webpush};
use crate::storage::Database;
use crate::storage::announcements::AnnouncementRow;
use crate::storage::outbox::OutboxMessage;
use crate::storage::subscriptions::SubscriptionRow;

/// The purpose name of the secret that signs subscribers' links.
pub const LINK_SECRET: &str = "subscriber-links";

struct Context {
    subscription: Option<SubscriptionRow>,
    announcement: Option<AnnouncementRow>,
}

fn load(db: &Database, subscription: Uuid, announcement: Option<Uuid>) -> Result<Context, String> {
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    let subscription = crate::storage::subscriptions::get(&mut conn, subscription).map_err(|e| e.to_string())?;
    let announcement = match announcement {
        Some(id) => crate::storage::announcements::get(&mut conn, id).map_err(|e| e.to_string())?,
        None => None,
    };
    Ok(Context { subscription, announcement })
}

/// The announcement as its subscriber sees it, with one-tap answer links while the
/// question is open.
pub fn message_for(
    announcement: &AnnouncementRow,
    subscription_id: Uuid,
    signer: &LinkSigner,
    public_url: &str,
) -> AnnouncementMessage {
    let base = public_url.trim_end_matches('/');
    let question =
        announcement.question_text.as_ref().filter(|_| announcement.question_open(chrono::Utc::now())).map(|text| {
            let options = announcement
                .options()
                .into_iter()
                .enumerate()
                .map(|(option, label)| {
                    let token =
                        signer.answer_token(AnswerLink { subscription_id, announcement_id: announcement.id.0, option });
                    (label, format!("{base}/api/v1/answers/{token}"))
                })
                .collect();
            (text.clone(), options)
        });
    AnnouncementMessage {
        id: announcement.id.0,
        title: announcement.title.clone(),
        body: announcement.body.clone(),
        tags: announcement.tag_list(),
        valid_from: announcement.valid_from.map(|t| t.0),
        valid_until: announcement.valid_until.map(|t| t.0),
        question,
    }
}

/// The payload as bytes that fit one push message: the body text is shortened when needed.
fn fit_push_payload(mut payload: serde_json::Value) -> Vec<u8> {
    let mut bytes = payload.to_string().into_bytes();
    let mut keep = payload.get("body").and_then(|b| b.as_str()).map_or(0, |b| b.chars().count());
    while bytes.len() > webpush::MAX_PAYLOAD && keep > 0 {
        keep /= 2;
        let shortened: String =
            payload.get("body").and_then(|b| b.as_str()).unwrap_or_default().chars().take(keep).collect();
        if let Some(body) = payload.get_mut("body") {
            *body = serde_json::Value::String(format!("{shortened}…"));
        }
        bytes = payload.to_string().into_bytes();
    }
    if bytes.len() > webpush::MAX_PAYLOAD
        && let Some(object) = payload.as_object_mut()
    {
        object.remove("question");
        bytes = payload.to_string().into_bytes();
    }
    bytes
}

/// Sends a Web Push message; a subscription the push service calls gone is ended.
async fn push(
    db: &Database,
    settings: &OutboxSettings,
    subscription: &SubscriptionRow,
    payload: serde_json::Value,
) -> Result<Outcome, String> {
    static CLIENT: std::sync::OnceLock<Result<reqwest::Client, String>> = std::sync::OnceLock::new();
    let (Some(endpoint), Some(p256dh), Some(auth)) =
        (subscription.push_endpoint.as_deref(), subscription.push_p256dh.as_deref(), subscription.push_auth.as_deref())
    else {
        return Ok(Outcome::Cancelled);
    };
    let keys = settings.vapid.as_ref().ok_or("Web Push is not configured (vapid_private_key)")?;
    let endpoint = WebhookUrl::parse(endpoint, true).map_err(|_| "the stored push endpoint is invalid")?;
    let push_keys = PushKeys::parse(p256dh, auth).map_err(|e| e.to_string())?;
    if !settings.webhook_allow_insecure {
        endpoint.check(false).map_err(|_| "the push endpoint is not a public https address")?;
        webhook::check_resolved(&endpoint).await.map_err(|e| format!("push endpoint: {e}"))?;
    }
    let client = CLIENT.get_or_init(|| webpush::client().map_err(|e| e.to_string())).as_ref().map_err(Clone::clone)?;
    let target = webpush::PushTarget::new(&endpoint, &push_keys);
    match webpush::send(client, keys, &target, &fit_push_payload(payload), 24 * 3600).await {
        Ok(()) => Ok(Outcome::Sent),
        Err(webpush::PushError::Gone) => {
            let id = subscription.id.0;
            let db = db.clone();
            tokio::task::spawn_blocking(move || crate::storage::subscriptions::end(&mut *db.conn()?, id))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            tracing::info!(subscription_id = %id, "push subscription gone; ended");
            Ok(Outcome::Cancelled)
        }
        Err(webpush::PushError::Failed(why)) => Err(why),
    }
}

/// Delivers one message that belongs to a subscription.
pub async fn deliver(
    db: &Database,
    settings: &OutboxSettings,
    mailer: &Mailer,
    from: &Mailbox,
    message: &OutboxMessage,
) -> Result<Outcome, String> {
    let Some(subscription_id) = message.subscription_id else { return Err("no subscription".into()) };
    let context = {
        let db = db.clone();
        let announcement = message.announcement_id;
        tokio::task::spawn_blocking(move || load(&db, subscription_id, announcement))
            .await
            .map_err(|e| e.to_string())??
    };
    let Some(subscription) = context.subscription else { return Ok(Outcome::Cancelled) };
    let language = Language::parse(&subscription.language);
    let links = SubscriberLinks::new(&settings.public_url, &settings.links.manage_token(subscription_id));
    match message.template.as_str() {
        "subscription_confirm" => {
            let (Some(email), "pending") = (subscription.email.as_deref(), subscription.status.as_str()) else {
                return Ok(Outcome::Cancelled);
            };
            let token = message.params.get("confirm_token").and_then(|t| t.as_str()).unwrap_or_default();
            let link = format!("{}/api/v1/subscriptions/confirm/{token}", settings.public_url.trim_end_matches('/'));
            mailer.send(from, email, &confirmation(language, &link, &links)).await?;
            Ok(Outcome::Sent)
        }
        "webhook_challenge" => {
            let (Some(url), Some(secret), Some(challenge), "pending") = (
                subscription.webhook_url.as_deref(),
                subscription.webhook_secret.as_deref(),
                subscription.challenge.as_deref(),
                subscription.status.as_str(),
            ) else {
                return Ok(Outcome::Cancelled);
            };
            let body =
                serde_json::json!({"type": "challenge", "challenge": challenge, "subscription_id": subscription_id});
            let url = WebhookUrl::parse(url, true).map_err(|_| "the stored webhook URL is invalid")?;
            let answer = webhook::post(&url, secret, body.to_string().as_bytes(), settings.webhook_allow_insecure)
                .await
                .map_err(|e| e.to_string())?;
            let echoed = serde_json::from_str::<serde_json::Value>(&answer)
                .ok()
                .and_then(|v| v.get("challenge").and_then(|c| c.as_str()).map(str::to_owned))
                .unwrap_or_else(|| answer.trim().to_owned());
            if echoed != challenge {
                return Err("the webhook did not echo the challenge".into());
            }
            let db = db.clone();
            tokio::task::spawn_blocking(move || {
                crate::storage::subscriptions::activate_webhook(&mut *db.conn()?, subscription_id)
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
            Ok(Outcome::Sent)
        }
        "announcement" => {
            let Some(announcement) = context.announcement.filter(|a| a.status == "published") else {
                return Ok(Outcome::Cancelled);
            };
            if subscription.status != "active" {
                return Ok(Outcome::Cancelled);
            }
            let content = message_for(&announcement, subscription_id, &settings.links, &settings.public_url);
            match (message.channel.as_str(), subscription.email.as_deref(), subscription.webhook_url.as_deref()) {
                ("email", Some(email), _) => {
                    mailer.send(from, email, &announcement_email(language, &content, &links)).await?;
                    Ok(Outcome::Sent)
                }
                ("webhook", _, Some(url)) => {
                    let secret = subscription.webhook_secret.as_deref().unwrap_or_default();
                    let body = announcement_json(&content, &links).to_string();
                    let url = WebhookUrl::parse(url, true).map_err(|_| "the stored webhook URL is invalid")?;
                    webhook::post(&url, secret, body.as_bytes(), settings.webhook_allow_insecure)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(Outcome::Sent)
                }
                ("push", ..) => push(db, settings, &subscription, announcement_json(&content, &links)).await,
                _ => Ok(Outcome::Cancelled),
            }
        }
        "report_alert" => {
            if subscription.status != "active" {
                return Ok(Outcome::Cancelled);
            }
            let text = |key: &str| message.params.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let (reference, category) = (text("reference"), text("category"));
            let url = format!("{}/api/v1/reports/{reference}", settings.public_url.trim_end_matches('/'));
            match (message.channel.as_str(), subscription.email.as_deref(), subscription.webhook_url.as_deref()) {
                ("email", Some(email), _) => {
                    mailer.send(from, email, &report_alert(language, &reference, &category, &url, &links)).await?;
                    Ok(Outcome::Sent)
                }
                ("webhook", _, Some(hook)) => {
                    let secret = subscription.webhook_secret.as_deref().unwrap_or_default();
                    let body = serde_json::json!({"type": "report", "reference": reference, "category": category,
                        "url": url, "manage_url": links.manage, "unsubscribe_url": links.unsubscribe});
                    let hook = WebhookUrl::parse(hook, true).map_err(|_| "the stored webhook URL is invalid")?;
                    webhook::post(&hook, secret, body.to_string().as_bytes(), settings.webhook_allow_insecure)
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(Outcome::Sent)
                }
                ("push", ..) => {
                    let body = serde_json::json!({"type": "report", "reference": reference, "category": category,
                        "url": url, "manage_url": links.manage});
                    push(db, settings, &subscription, body).await
                }
                _ => Ok(Outcome::Cancelled),
            }
        }
        other => Err(format!("unknown subscriber template '{other}'")),
    }
}
