//! Staff identity: roles, what each role may see, bearer tokens (random, stored only as a
//! SHA-256 hash) and argon2id password hashes. Pure: no HTTP, no SQL.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Shortest accepted password, in characters.
pub const PASSWORD_MIN: usize = 12;
/// Longest accepted password, in characters (argon2 cost grows with it).
pub const PASSWORD_MAX: usize = 256;

/// What a staff account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages accounts and configuration; sees everything.
    Admin,
    /// Handles reports of every department.
    Coordinator,
    /// Handles the reports of their own departments only.
    DepartmentStaff,
    /// Statistics only: no report details with personal data.
    Analyst,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Coordinator, Role::DepartmentStaff, Role::Analyst];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Coordinator => "coordinator",
            Self::DepartmentStaff => "department_staff",
            Self::Analyst => "analyst",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// An authenticated staff member, as a request sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffIdentity {
    pub account_id: Uuid,
    pub role: Role,
    /// The departments it belongs to (meaningful for department staff).
    pub departments: Vec<Uuid>,
    /// The token this request came with (to revoke it on logout).
    pub token_id: Uuid,
}

/// Whether an account with `role` in `departments` handles reports of `department`
/// (`None`: unrouted): admins and coordinators every report, department staff their
/// departments', analysts none. The one rule behind what a member of staff sees and whom a
/// report may be assigned to.
pub fn handles(role: Role, departments: &[Uuid], department: Option<Uuid>) -> bool {
    match role {
        Role::Admin | Role::Coordinator => true,
        Role::DepartmentStaff => department.is_some_and(|d| departments.contains(&d)),
        Role::Analyst => false,
    }
}

impl StaffIdentity {
    /// Whether this identity may handle reports of `department` (`None`: unrouted).
    pub fn handles(&self, department: Option<Uuid>) -> bool {
        handles(self.role, &self.departments, department)
    }

    /// The history `actor` for changes made by this identity.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.account_id)
    }
}

/// A staff account (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    /// Login email (lowercase).
    pub email: String,
    /// Display name.
    pub name: String,
    /// `None`: no access yet (made by a single sign-on login; an admin gives it a role).
    pub role: Option<Role>,
    /// Whether it may log in.
    pub active: bool,
    pub departments: Vec<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Whether a token is a login session or an integration's API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// From `POST /auth/login`; expires.
    Session,
    /// Created by an admin for an integration; expires only if asked.
    Api,
}

impl TokenKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Api => "api",
        }
    }
}

/// A fresh bearer token: 32 random bytes, hex, with a prefix that makes leaked tokens easy
/// to recognise in secret scanners.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("mpt_{}", hex::encode(bytes))
}

/// The stored form of a token: its SHA-256 as hex. Tokens are long and random, so a fast
/// hash suffices; the database never holds a usable token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Argon2 could not hash a password (its message).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PasswordHashError(argon2::password_hash::Error);

/// A new password is too short or too long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a password must have {} to {} characters", PASSWORD_MIN, PASSWORD_MAX)]
pub struct PasswordLengthError;

/// Hashes a password with argon2id and a random salt (PHC string). Slow on purpose.
pub fn hash_password(password: &str) -> Result<String, PasswordHashError> {
    Argon2::default().hash_password(password.as_bytes()).map(|hash| hash.to_string()).map_err(PasswordHashError)
}

/// Whether `password` matches `stored` (a PHC string). With `None` (unknown account) it
/// still does the same work against a dummy hash, so the answer takes as long either way.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    match stored {
        Some(hash) => Argon2::default().verify_password(password.as_bytes(), hash).is_ok(),
        None => {
            let dummy = DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default());
            let _ = Argon2::default().verify_password(password.as_bytes(), dummy.as_str());
            false
        }
    }
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), PasswordLengthError> {
    let length = password.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&length) {
        return Err(PasswordLengthError);
    }
    Ok(())
}

/// The first-run setup code of a deployment without an active admin that has `accounts`
/// accounts: derived from the deployment's signing key (kept in the database), so every
/// process names the same code, and another once an account is added. Four groups of four
/// hexadecimal digits (64 bits).
pub fn setup_code(signer: &crate::domain::subscription::LinkSigner, accounts: i64) -> String {
    let mac = signer.sign(&format!("console-setup:{accounts}")).to_ascii_uppercase();
    let digits: Vec<char> = mac.chars().take(16).collect();
    digits.chunks(4).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Whether `given` is `expected` (a setup code), ignoring case, spaces and dashes, compared
/// in constant time.
pub fn same_setup_code(given: &str, expected: &str) -> bool {
    let clean = |code: &str| -> Vec<u8> {
        code.bytes().filter(|b| b.is_ascii_alphanumeric()).map(|b| b.to_ascii_uppercase()).collect()
    };
    let (given, expected) = (clean(given), clean(expected));
    given.len() == expected.len()
        && given.iter().zip(&expected).fold(0u8, |difference, (a, b)| difference | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse battery").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", Some(&hash)));
        assert!(!verify_password("correct horse battery!", Some(&hash)));
        assert!(!verify_password("correct horse battery", None));
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
        assert!(!token_hash(&a).contains(&a));
    }

    #[test]
    fn department_staff_handle_only_their_departments() {
        let own = Uuid::now_v7();
        let staff = StaffIdentity {
            account_id: Uuid::now_v7(),
            role: Role::DepartmentStaff,
            departments: vec![own],
            token_id: Uuid::nil(),
        };
        assert!(staff.handles(Some(own)));
        assert!(!staff.handles(Some(Uuid::now_v7())));
        assert!(!staff.handles(None));
        let analyst = StaffIdentity { role: Role::Analyst, ..staff.clone() };
        assert!(!analyst.handles(Some(own)));
        let coordinator = StaffIdentity { role: Role::Coordinator, ..staff };
        assert!(coordinator.handles(None));
    }

    #[test]
    fn the_setup_code_is_four_groups_that_change_with_the_accounts_and_compare_loosely() {
        let signer = crate::domain::subscription::LinkSigner::new(b"a key of this deployment");
        let code = setup_code(&signer, 0);
        assert_eq!(code.len(), 19, "{code}");
        assert!(code.split('-').all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit())), "{code}");
        assert_eq!(code, setup_code(&signer, 0), "every process names the same code");
        assert_ne!(code, setup_code(&signer, 1), "another once an account exists");
        assert!(same_setup_code(&code.to_ascii_lowercase().replace('-', " "), &code));
        assert!(!same_setup_code(&code[..18], &code) && !same_setup_code("", &code));
    }
}
