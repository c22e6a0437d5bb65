//! The forms of the accounts pages as text (kept as typed, to show again with the reasons;
//! never a password), their conversion into the admin API's request types (only the
//! reading of a role name and a number; every rule is the API's), the API's reasons by
//! field ([`api_reasons`]), and the rows of the account and token lists.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::super::reasons::{Reason, Reasons, first_segment};
use super::people_words::PeopleWords;
use crate::api::admin::accounts::{AccountView, CreateAccount, CreateToken, TokenView, UpdateAccount};
use crate::api::pages::console::announcements::form::local_text;
use crate::api::pages::console::report::Choice;
use crate::api::pages::dashboard::text::Lang;
use crate::api::pages::resident::field;
use crate::api::state::Snapshot;
use crate::domain::auth::Role;

/// The API's reasons by the form field each belongs to (the first part of its JSON
/// pointer: `/departments/2` is `departments`; no pointer is the form as a whole).
pub fn api_reasons(errors: Vec<crate::domain::validation::FieldError>) -> Reasons {
    Reasons::from_api(errors, |pointer| first_segment(pointer).to_owned())
}

fn text(fields: &[(String, String)], name: &str) -> String {
    field(fields, name).map(str::trim).unwrap_or_default().to_owned()
}

/// The account form's fields as typed (the password is never kept).
#[derive(Debug, Default, Clone)]
pub struct AccountForm {
    pub email: String,
    pub name: String,
    pub role: String,
    pub departments: Vec<String>,
    pub active: bool,
}

impl AccountForm {
    /// The form as posted, and its password (empty: none).
    pub fn read(fields: &[(String, String)]) -> (Self, String) {
        let form = AccountForm {
            email: text(fields, "email"),
            name: text(fields, "name"),
            role: text(fields, "role"),
            departments: fields
                .iter()
                .filter(|(k, v)| k == "departments" && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_owned())
                .collect(),
            active: field(fields, "active").is_some(),
        };
        // Passwords are taken as typed: spaces may be part of one.
        (form, field(fields, "password").unwrap_or_default().to_owned())
    }

    /// The form of an existing account.
    pub fn of(account: &AccountView) -> Self {
        AccountForm {
            email: account.email.clone(),
            name: account.name.clone(),
            role: account.role.map(Role::as_str).unwrap_or_default().to_owned(),
            departments: account.departments.clone(),
            active: account.active,
        }
    }

    /// Whether department `slug` is ticked.
    pub fn has_department(&self, slug: &str) -> bool {
        self.departments.iter().any(|d| d == slug)
    }

    fn role(&self, w: &PeopleWords) -> Result<Option<Role>, Reasons> {
        if self.role.is_empty() {
            return Ok(None);
        }
        Role::parse(&self.role).map(Some).ok_or_else(|| Reasons::from(Reason::ours("role", w.unknown_role, w.lang)))
    }

    /// The new account as the API takes it.
    pub fn create(&self, password: String, w: &PeopleWords) -> Result<CreateAccount, Reasons> {
        let role = self.role(w)?.ok_or_else(|| Reasons::from(Reason::ours("role", w.unknown_role, w.lang)))?;
        Ok(CreateAccount {
            email: self.email.clone(),
            name: self.name.clone(),
            role,
            password: (!password.is_empty()).then_some(password),
            departments: self.departments.clone(),
        })
    }

    /// The changes as the API takes them: name, role (empty: unchanged), departments (the
    /// full set), active, and a new password when one is typed.
    pub fn update(&self, password: String, w: &PeopleWords) -> Result<UpdateAccount, Reasons> {
        Ok(UpdateAccount {
            name: Some(self.name.clone()),
            role: self.role(w)?,
            password: (!password.is_empty()).then_some(password),
            active: Some(self.active),
            departments: Some(self.departments.clone()),
        })
    }
}

/// The token form as typed.
#[derive(Debug, Default, Clone)]
pub struct TokenForm {
    pub label: String,
    pub expires_in_days: String,
}

impl TokenForm {
    /// The form as posted.
    pub fn read(fields: &[(String, String)]) -> Self {
        TokenForm { label: text(fields, "label"), expires_in_days: text(fields, "expires_in_days") }
    }

    /// The token as the API takes it.
    pub fn spec(&self, w: &PeopleWords) -> Result<CreateToken, Reasons> {
        let expires_in_days = if self.expires_in_days.is_empty() {
            None
        } else {
            Some(
                self.expires_in_days
                    .parse::<u32>()
                    .map_err(|_| Reasons::from(Reason::ours("expires_in_days", w.whole_number, w.lang)))?,
            )
        };
        Ok(CreateToken { label: self.label.clone(), expires_in_days })
    }
}

fn name_in(lang: Lang, nl: &str, en: &str) -> String {
    match lang {
        Lang::Nl => nl.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// The departments to tick: the active ones, and any inactive one in `keep`.
pub fn department_choices(snapshot: &Snapshot, lang: Lang, keep: &[String]) -> Vec<Choice> {
    snapshot
        .catalog
        .departments()
        .into_iter()
        .filter(|d| d.active || keep.contains(&d.slug))
        .map(|d| Choice { value: d.slug.clone(), label: name_in(lang, &d.name_nl, &d.name_en) })
        .collect()
}

/// The roles to choose from, in words.
pub fn role_choices(lang: Lang) -> Vec<Choice> {
    let words = crate::api::pages::console::words::of(lang);
    Role::ALL.into_iter().map(|r| Choice { value: r.as_str().to_owned(), label: words.role(r).to_owned() }).collect()
}

/// An account in the list.
pub struct AccountRow {
    pub id: String,
    pub email: String,
    pub name: String,
    /// The role in words; `None`: no role (an account made by single sign-on).
    pub role: Option<&'static str>,
    pub departments: String,
    pub active: bool,
    pub created: String,
    /// Its API tokens that still work.
    pub live_tokens: usize,
}

/// The departments of an account by name.
fn department_names(slugs: &[String], snapshot: &Snapshot, lang: Lang) -> String {
    slugs
        .iter()
        .map(|slug| {
            snapshot
                .catalog
                .department_by_slug(slug)
                .map(|d| name_in(lang, &d.name_nl, &d.name_en))
                .unwrap_or_else(|| slug.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl AccountRow {
    /// The row of `account`, with the number of its working tokens among `tokens`.
    pub fn of(account: &AccountView, tokens: &[TokenView], snapshot: &Snapshot, lang: Lang) -> Self {
        let now = Utc::now();
        AccountRow {
            id: account.id.to_string(),
            email: account.email.clone(),
            name: account.name.clone(),
            role: account.role.map(|r| crate::api::pages::console::words::of(lang).role(r)),
            departments: department_names(&account.departments, snapshot, lang),
            active: account.active,
            created: local_text(account.created_at),
            live_tokens: tokens.iter().filter(|t| t.account_id == account.id && works(t, now)).count(),
        }
    }
}

/// Whether a token still works at `now` (neither revoked nor expired).
fn works(token: &TokenView, now: DateTime<Utc>) -> bool {
    token.revoked_at.is_none() && token.expires_at.is_none_or(|at| at > now)
}

/// An API token in an account's list (never the token itself).
pub struct TokenRow {
    pub id: String,
    pub label: String,
    pub created: String,
    pub expires: Option<String>,
    /// When it was last used, to within 15 minutes.
    pub last_used: Option<String>,
    /// Its state in words, with the time it was revoked.
    pub state: String,
    pub works: bool,
}

/// The rows of the API tokens of `account`.
pub fn token_rows(tokens: &[TokenView], account: Uuid, w: &PeopleWords) -> Vec<TokenRow> {
    let now = Utc::now();
    tokens
        .iter()
        .filter(|t| t.account_id == account)
        .map(|t| TokenRow {
            id: t.id.to_string(),
            label: t.label.clone().unwrap_or_default(),
            created: local_text(t.created_at),
            expires: t.expires_at.map(local_text),
            last_used: t.last_used_at.map(local_text),
            state: match (t.revoked_at, works(t, now)) {
                (Some(at), _) => format!("{} {}", w.token_revoked, local_text(at)),
                (None, true) => w.token_active.to_owned(),
                (None, false) => w.token_expired.to_owned(),
            },
            works: works(t, now),
        })
        .collect()
}

/// The departments of an account by name, for its page.
pub fn departments_of(account: &AccountView, snapshot: &Snapshot, lang: Lang) -> String {
    department_names(&account.departments, snapshot, lang)
}
