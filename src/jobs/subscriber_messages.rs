//! Delivery of outbox messages to subscribers: confirmation emails, webhook challenges,
//! announcements and report alerts by email, webhook or Web Push (a subscription whose push
//! service answers 404/410 is ended). The subscription and the announcement are read when
//! the message is sent, so a subscription that ended (or an announcement withdrawn) before
//! delivery gets nothing: the message is cancelled instead.

use lettre::message::Mailbox;
use uuid::Uuid;

use super::delivery::{DeliveryError, OutboxSettings, Outcome};
use crate::domain::announcement::{Announcement, AnnouncementStatus};
use crate::domain::message::{OutboxMessage, Template};
use crate::domain::subscription::webhook_body::{ChallengeBody, ChallengeType, ReportAlertBody, ReportAlertType};
use crate::domain::subscription::{
    AnswerLink, Channel, Contact, LinkSigner, Subscription, SubscriptionStatus, WebhookUrl,
};
use crate::notify::mail::Mailer;
use crate::notify::templates::subscribers::{
    AnnouncementMessage, SubscriberLinks, announcement_email, announcement_json, confirmation, report_alert,
};
use crate::notify::{webhook, webpush};
use crate::storage::Database;

/// The purpose name of the secret that signs subscribers' links.
pub const LINK_SECRET: &str = "subscriber-links";

struct Context {
    subscription: Option<Subscription>,
    announcement: Option<Announcement>,
}

fn load(db: &Database, subscription: Uuid, announcement: Option<Uuid>) -> Result<Context, DeliveryError> {
    let mut conn = db.conn()?;
    let subscription = crate::storage::subscriptions::get(&mut conn, subscription)?;
    let announcement = match announcement {
        Some(id) => crate::storage::announcements::get(&mut conn, id)?,
        None => None,
    };
    Ok(Context { subscription, announcement })
}

/// The announcement email exactly as a subscriber in `language` would get it now (the
/// outbox's own [`message_for`] and [`announcement_email`]), for staff to preview before
/// publishing: subject and text. The links in it belong to no subscription (a nil id and
/// a management token for it), so following them records nothing.
pub fn preview_email(
    announcement: &Announcement,
    language: crate::domain::report::Language,
    signer: &LinkSigner,
    public_url: &str,
) -> (String, String) {
    let nobody = Uuid::nil();
    let links = SubscriberLinks::new(public_url, &signer.manage_token(nobody));
    // As it will go out: published (a draft's question takes no answers, so its links
    // would be left out).
    let published = Announcement { status: AnnouncementStatus::Published, ..announcement.clone() };
    let rendered = announcement_email(language, &message_for(&published, nobody, signer, public_url), &links);
    (rendered.subject, rendered.body)
}

/// The announcement as its subscriber sees it, with one-tap answer links while the
/// question is open.
pub fn message_for(
    announcement: &Announcement,
    subscription_id: Uuid,
    signer: &LinkSigner,
    public_url: &str,
) -> AnnouncementMessage {
    let base = public_url.trim_end_matches('/');
    let question =
        announcement.question.as_ref().filter(|_| announcement.question_open(chrono::Utc::now())).map(|question| {
            let options = question
                .options
                .iter()
                .enumerate()
                .map(|(option, label)| {
                    let token =
                        signer.answer_token(AnswerLink { subscription_id, announcement_id: announcement.id, option });
                    (label.clone(), format!("{base}/api/v1/answers/{token}"))
                })
                .collect();
            (question.text.clone(), options)
        });
    AnnouncementMessage {
        id: announcement.id,
        title: announcement.title.clone(),
        body: announcement.body.clone(),
        tags: announcement.tags.clone(),
        valid_from: announcement.valid_from,
        valid_until: announcement.valid_until,
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
    subscription: &Subscription,
    payload: serde_json::Value,
) -> Result<Outcome, DeliveryError> {
    static CLIENT: std::sync::OnceLock<Result<reqwest::Client, webpush::PushError>> = std::sync::OnceLock::new();
    let Some(Contact::Push { endpoint, keys: push_keys }) = &subscription.contact else {
        return Ok(Outcome::Cancelled);
    };
    let keys = settings.vapid.as_ref().ok_or(DeliveryError::PushNotConfigured)?;
    if !settings.webhook_allow_insecure {
        endpoint.check(false).map_err(|_| DeliveryError::PushEndpointNotPublic)?;
        webhook::check_resolved(endpoint).await.map_err(DeliveryError::PushEndpoint)?;
    }
    let client = CLIENT.get_or_init(webpush::client).as_ref().map_err(|e| DeliveryError::Push(e.clone()))?;
    let target = webpush::PushTarget::new(endpoint, push_keys);
    match webpush::send(client, keys, &target, &fit_push_payload(payload), 24 * 3600).await {
        Ok(()) => Ok(Outcome::Sent),
        Err(webpush::PushError::Gone) => {
            let id = subscription.id;
            let db = db.clone();
            tokio::task::spawn_blocking(move || crate::storage::subscriptions::end(&mut *db.conn()?, id)).await??;
            tracing::info!(subscription_id = %id, "push subscription gone; ended");
            Ok(Outcome::Cancelled)
        }
        Err(error) => Err(DeliveryError::Push(error)),
    }
}

/// POSTs a signed JSON body to a webhook subscriber; returns the answer's body.
async fn post(
    settings: &OutboxSettings,
    url: &WebhookUrl,
    secret: &str,
    body: &serde_json::Value,
) -> Result<String, DeliveryError> {
    Ok(webhook::post(url, secret, body.to_string().as_bytes(), settings.webhook_allow_insecure).await?)
}

/// The body of a report alert (webhook, or push without the unsubscribe link).
fn alert(
    reference: String,
    category: String,
    url: String,
    links: &SubscriberLinks,
    unsubscribe_url: Option<String>,
) -> serde_json::Value {
    let body = ReportAlertBody {
        kind: ReportAlertType::Report,
        reference,
        category,
        url,
        manage_url: links.manage.clone(),
        unsubscribe_url,
    };
    // Strings only: serializing cannot fail.
    serde_json::to_value(body).unwrap_or_default()
}

/// Delivers one message that belongs to a subscription.
pub async fn deliver(
    db: &Database,
    settings: &OutboxSettings,
    mailer: &Mailer,
    from: &Mailbox,
    message: &OutboxMessage,
) -> Result<Outcome, DeliveryError> {
    let Some(subscription_id) = message.subscription_id else { return Err(DeliveryError::NoSubscription) };
    let context = {
        let db = db.clone();
        let announcement = message.announcement_id;
        tokio::task::spawn_blocking(move || load(&db, subscription_id, announcement)).await??
    };
    let Some(subscription) = context.subscription else { return Ok(Outcome::Cancelled) };
    let language = subscription.language;
    let links = SubscriberLinks::new(&settings.public_url, &settings.links.manage_token(subscription_id));
    let active = subscription.status == SubscriptionStatus::Active;
    match message.template {
        Template::SubscriptionConfirm => {
            let (Some(Contact::Email(email)), SubscriptionStatus::Pending) =
                (&subscription.contact, subscription.status)
            else {
                return Ok(Outcome::Cancelled);
            };
            let token = message.params.get("confirm_token").and_then(|t| t.as_str()).unwrap_or_default();
            let link = format!("{}/api/v1/subscriptions/confirm/{token}", settings.public_url.trim_end_matches('/'));
            mailer.send(from, email, &confirmation(language, &link, &links)).await.map_err(DeliveryError::Mail)?;
            Ok(Outcome::Sent)
        }
        Template::WebhookChallenge => {
            let (Some(Contact::Webhook { url, secret }), Some(challenge), SubscriptionStatus::Pending) =
                (&subscription.contact, subscription.challenge.as_deref(), subscription.status)
            else {
                return Ok(Outcome::Cancelled);
            };
            let body =
                ChallengeBody { kind: ChallengeType::Challenge, challenge: challenge.to_owned(), subscription_id };
            let answer = post(settings, url, secret, &serde_json::to_value(body).unwrap_or_default()).await?;
            let echoed = serde_json::from_str::<serde_json::Value>(&answer)
                .ok()
                .and_then(|v| v.get("challenge").and_then(|c| c.as_str()).map(str::to_owned))
                .unwrap_or_else(|| answer.trim().to_owned());
            if echoed != challenge {
                return Err(DeliveryError::ChallengeNotEchoed);
            }
            let db = db.clone();
            tokio::task::spawn_blocking(move || {
                crate::storage::subscriptions::activate_webhook(&mut *db.conn()?, subscription_id)
            })
            .await??;
            Ok(Outcome::Sent)
        }
        Template::Announcement => {
            let Some(announcement) = context.announcement.filter(|a| a.status == AnnouncementStatus::Published) else {
                return Ok(Outcome::Cancelled);
            };
            if !active {
                return Ok(Outcome::Cancelled);
            }
            let content = message_for(&announcement, subscription_id, &settings.links, &settings.public_url);
            match (message.channel, &subscription.contact) {
                (Channel::Email, Some(Contact::Email(email))) => {
                    mailer
                        .send(from, email, &announcement_email(language, &content, &links))
                        .await
                        .map_err(DeliveryError::Mail)?;
                    Ok(Outcome::Sent)
                }
                (Channel::Webhook, Some(Contact::Webhook { url, secret })) => {
                    post(settings, url, secret, &announcement_json(&content, &links)).await?;
                    Ok(Outcome::Sent)
                }
                (Channel::Push, _) => push(db, settings, &subscription, announcement_json(&content, &links)).await,
                _ => Ok(Outcome::Cancelled),
            }
        }
        Template::ReportAlert => {
            if !active {
                return Ok(Outcome::Cancelled);
            }
            let text = |key: &str| message.params.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let (reference, category) = (text("reference"), text("category"));
            let url = format!("{}/api/v1/reports/{reference}", settings.public_url.trim_end_matches('/'));
            match (message.channel, &subscription.contact) {
                (Channel::Email, Some(Contact::Email(email))) => {
                    mailer
                        .send(from, email, &report_alert(language, &reference, &category, &url, &links))
                        .await
                        .map_err(DeliveryError::Mail)?;
                    Ok(Outcome::Sent)
                }
                (Channel::Webhook, Some(Contact::Webhook { url: hook, secret })) => {
                    let body = alert(reference, category, url, &links, Some(links.unsubscribe.clone()));
                    post(settings, hook, secret, &body).await?;
                    Ok(Outcome::Sent)
                }
                (Channel::Push, _) => {
                    push(db, settings, &subscription, alert(reference, category, url, &links, None)).await
                }
                _ => Ok(Outcome::Cancelled),
            }
        }
        Template::Confirmation | Template::StatusChanged | Template::SupportConfirm | Template::AccessLink => {
            Err(DeliveryError::NotForSubscribers(message.template))
        }
    }
}
