//! The provider's signing keys (its JWKS), cached. Keys are fetched when first needed, again
//! when they are older than `jwks_refresh`, and earlier when a token names a key id the
//! cache does not have (the provider rotated its keys) — but never more often than once per
//! [`min_gap`], so tokens with made-up key ids cannot make meldpunt hammer the provider.
//! One fetch runs at a time; requests that need keys meanwhile wait for it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::Deserialize;

use super::{OidcError, Provider, Rejection};

/// The longest shortest-gap between two fetches.
const MAX_GAP: Duration = Duration::from_secs(10);

/// The shortest time between two fetches of the keys: `refresh`, but at most 10 seconds.
pub fn min_gap(refresh: Duration) -> Duration {
    refresh.min(MAX_GAP)
}

/// What to do before looking a key up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Use the keys in the cache.
    Use,
    /// Fetch the keys first.
    Fetch,
    /// No keys, and the last attempt to fetch them was too recent to try again.
    Unavailable,
}

/// The plan for a token, from the age of the cached keys (`None`: none yet), the time since
/// the last fetch attempt (`None`: never), whether the token's key id is in the cache, and
/// the refresh setting. Pure, so it is tested without a provider.
pub fn plan(keys_age: Option<Duration>, since_attempt: Option<Duration>, kid_known: bool, refresh: Duration) -> Plan {
    let may_fetch = since_attempt.is_none_or(|since| since >= min_gap(refresh));
    match keys_age {
        None if may_fetch => Plan::Fetch,
        None => Plan::Unavailable,
        Some(age) if age >= refresh && may_fetch => Plan::Fetch,
        Some(_) if !kid_known && may_fetch => Plan::Fetch,
        Some(_) => Plan::Use,
    }
}

/// One usable signing key.
#[derive(Clone)]
pub struct Key {
    /// The key.
    pub decoding: DecodingKey,
    /// The algorithm the JWK pins (`alg`), if any.
    pub alg: Option<Algorithm>,
    /// Its family (RSA, EC, …), which a token's algorithm must match.
    pub family: AlgorithmFamily,
}

/// The keys of one fetch.
#[derive(Clone, Default)]
pub struct KeySet {
    by_kid: HashMap<String, Key>,
    without_kid: Vec<Key>,
}

impl KeySet {
    /// Reads a JWKS document, skipping keys meldpunt cannot use (encryption keys, unknown
    /// types): providers publish those beside their signing keys.
    pub fn parse(document: &serde_json::Value) -> KeySet {
        #[derive(Deserialize)]
        struct Document {
            #[serde(default)]
            keys: Vec<serde_json::Value>,
        }
        let mut set = KeySet::default();
        let Ok(document) = Document::deserialize(document) else { return set };
        for value in document.keys {
            let Ok(jwk) = serde_json::from_value::<Jwk>(value) else { continue };
            if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))) {
                continue;
            }
            let Ok(decoding) = DecodingKey::from_jwk(&jwk) else { continue };
            let family = decoding.family();
            if !matches!(family, AlgorithmFamily::Rsa | AlgorithmFamily::Ec) {
                continue;
            }
            let alg = jwk.common.key_algorithm.and_then(|a| Algorithm::try_from(a).ok());
            let key = Key { decoding, alg, family };
            match jwk.common.key_id {
                Some(kid) => {
                    set.by_kid.insert(kid, key);
                }
                None => set.without_kid.push(key),
            }
        }
        set
    }

    /// The key for a token with key id `kid` (or, without one, the only key of `family`).
    pub fn find(&self, kid: Option<&str>, family: AlgorithmFamily) -> Option<&Key> {
        match kid {
            Some(kid) => self.by_kid.get(kid),
            None => {
                let mut candidates =
                    self.by_kid.values().chain(self.without_kid.iter()).filter(|key| key.family == family);
                let first = candidates.next();
                first.filter(|_| candidates.next().is_none())
            }
        }
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.by_kid.len() + self.without_kid.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Default)]
struct State {
    keys: Option<(Arc<KeySet>, Instant)>,
    last_attempt: Option<Instant>,
}

/// The cache of the provider's keys.
pub struct KeyCache {
    refresh: Duration,
    state: std::sync::Mutex<State>,
    fetching: tokio::sync::Mutex<()>,
}

impl KeyCache {
    /// An empty cache that keeps keys for `refresh`.
    pub fn new(refresh: Duration) -> Self {
        KeyCache { refresh, state: std::sync::Mutex::new(State::default()), fetching: tokio::sync::Mutex::new(()) }
    }

    fn decide(&self, kid: Option<&str>) -> (Plan, Option<Arc<KeySet>>) {
        let Ok(state) = self.state.lock() else { return (Plan::Unavailable, None) };
        let keys = state.keys.as_ref().map(|(set, _)| set.clone());
        let age = state.keys.as_ref().map(|(_, at)| at.elapsed());
        let known = match (kid, &keys) {
            (Some(kid), Some(set)) => set.by_kid.contains_key(kid),
            (None, Some(_)) => true,
            (_, None) => false,
        };
        (plan(age, state.last_attempt.map(|at| at.elapsed()), known, self.refresh), keys)
    }
}

impl Provider {
    /// The key that signed a token with key id `kid` and algorithm family `family`.
    pub(super) async fn key_for(&self, kid: Option<&str>, family: AlgorithmFamily) -> Result<Key, OidcError> {
        let cache = &self.keys;
        let (mut plan, mut keys) = cache.decide(kid);
        if plan == Plan::Fetch {
            let _one_at_a_time = cache.fetching.lock().await;
            // Another request may have fetched while this one waited.
            (plan, keys) = cache.decide(kid);
            if plan == Plan::Fetch {
                if let Ok(mut state) = cache.state.lock() {
                    state.last_attempt = Some(Instant::now());
                }
                match self.fetch_keys().await {
                    Ok(set) => {
                        let set = Arc::new(set);
                        if let Ok(mut state) = cache.state.lock() {
                            state.keys = Some((set.clone(), Instant::now()));
                        }
                        keys = Some(set);
                    }
                    // Old keys stay usable while the provider is down.
                    Err(error) if keys.is_some() => {
                        tracing::warn!(%error, "cannot refresh the identity provider's keys; using the cached ones");
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        let keys = keys.ok_or_else(|| {
            OidcError::Provider("the provider's signing keys could not be fetched; retry in a few seconds".into())
        })?;
        keys.find(kid, family).cloned().ok_or(OidcError::Rejected(Rejection::UnknownKey))
    }

    async fn fetch_keys(&self) -> Result<KeySet, OidcError> {
        let discovery = self.discovery().await?;
        let document: serde_json::Value = self.get_json(&discovery.jwks_uri, "the signing keys (JWKS)").await?;
        let set = KeySet::parse(&document);
        if set.is_empty() {
            return Err(OidcError::Provider(format!(
                "the JWKS at {} has no RSA or EC signing key meldpunt can use",
                discovery.jwks_uri
            )));
        }
        tracing::info!(keys = set.len(), "fetched the identity provider's signing keys");
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFRESH: Duration = Duration::from_secs(300);

    fn secs(n: u64) -> Option<Duration> {
        Some(Duration::from_secs(n))
    }

    #[test]
    fn keys_are_fetched_first_and_used_while_fresh() {
        assert_eq!(plan(None, None, false, REFRESH), Plan::Fetch);
        assert_eq!(plan(secs(5), secs(5), true, REFRESH), Plan::Use);
        assert_eq!(plan(secs(300), secs(300), true, REFRESH), Plan::Fetch, "stale keys are fetched again");
    }

    #[test]
    fn an_unknown_key_id_fetches_again_but_at_most_once_per_gap() {
        assert_eq!(plan(secs(60), secs(60), false, REFRESH), Plan::Fetch, "rotation is noticed");
        assert_eq!(plan(secs(3), secs(3), false, REFRESH), Plan::Use, "forged key ids cause no storm");
        assert_eq!(plan(secs(10), secs(10), false, REFRESH), Plan::Fetch);
        assert_eq!(min_gap(Duration::from_secs(2)), Duration::from_secs(2), "a short refresh shortens the gap");
    }

    #[test]
    fn a_failed_first_fetch_is_not_retried_at_once() {
        assert_eq!(plan(None, secs(1), false, REFRESH), Plan::Unavailable);
        assert_eq!(plan(None, secs(11), false, REFRESH), Plan::Fetch);
        assert_eq!(plan(secs(400), secs(2), true, REFRESH), Plan::Use, "stale keys serve while a retry waits");
    }

    #[test]
    fn encryption_keys_and_unknown_types_are_skipped_and_a_token_without_kid_needs_a_single_key() {
        let rsa = serde_json::json!({
            "kty": "RSA", "kid": "sig-1", "use": "sig", "alg": "RS256",
            "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
            "e": "AQAB"
        });
        let encryption = serde_json::json!({"kty": "RSA", "kid": "enc-1", "use": "enc", "n": rsa["n"], "e": "AQAB"});
        let unknown = serde_json::json!({"kty": "OKP-9", "kid": "odd"});
        let set = KeySet::parse(&serde_json::json!({"keys": [rsa, encryption, unknown]}));
        assert_eq!(set.len(), 1);
        assert!(set.find(Some("sig-1"), AlgorithmFamily::Rsa).is_some());
        assert!(set.find(Some("enc-1"), AlgorithmFamily::Rsa).is_none());
        assert!(set.find(None, AlgorithmFamily::Rsa).is_some(), "one RSA key: a token without kid may use it");
        assert!(set.find(None, AlgorithmFamily::Ec).is_none());
        assert!(KeySet::parse(&serde_json::json!({"nothing": 1})).is_empty());
    }
}
