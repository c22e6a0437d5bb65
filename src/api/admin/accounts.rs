//! Account management for admins: staff accounts with their role and departments, and API
//! tokens for integrations. Departments are named by slug.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::body::{parse, read_json};
use crate::api::error::{ApiError, Problem};
use crate::api::responses::{AdminErrors, JsonBodyErrors, Unavailable};
use crate::api::staff::auth::Staff;
use crate::api::state::AppState;
use crate::domain::auth::{Account, Role, TokenKind, check_password, hash_password, new_token, token_hash};
use crate::domain::category::Catalog;
use crate::domain::validation::{FieldErrors, bounded_text, email_address};
use crate::storage::accounts::{self, AccountChanges, NewAccount, TokenInfo};

/// Longest account name or token label.
const NAME_MAX: usize = 200;

/// A staff account as admins see it (never with a password or token).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: Uuid,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The role; `null`: no access yet (an account made by a single sign-on login, see
    /// `oidc.create_accounts`), until an admin gives it one.
    pub role: Option<Role>,
    /// Whether it may log in.
    pub active: bool,
    /// Department slugs.
    pub departments: Vec<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl AccountView {
    fn build(account: Account, catalog: &Catalog) -> Self {
        AccountView {
            id: account.id,
            email: account.email,
            name: account.name,
            role: account.role,
            active: account.active,
            departments: account
                .departments
                .iter()
                .filter_map(|id| catalog.department(*id).map(|d| d.slug.clone()))
                .collect(),
            created_at: account.created_at,
        }
    }
}

/// A new staff account.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    pub role: Role,
    /// Password (12 to 256 characters); without one the account can only use API tokens.
    #[serde(default)]
    pub password: Option<String>,
    /// Department slugs (department staff need at least one).
    #[serde(default)]
    pub departments: Vec<String>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    /// Display name.
    pub name: Option<String>,
    pub role: Option<Role>,
    /// New password.
    pub password: Option<String>,
    /// `false` deactivates the account and revokes all its tokens.
    pub active: Option<bool>,
    /// The full new set of department slugs.
    pub departments: Option<Vec<String>>,
}

/// The longest an API token may live: a hundred years.
const MAX_TOKEN_DAYS: u32 = 36_500;

/// A new API token for an integration.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What it is for.
    #[schema(example = "Open311 koppeling")]
    pub label: String,
    /// Days until it expires (1 to 36,500); absent: it does not expire (revoke it to end it).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 36500)]
    pub expires_in_days: Option<u32>,
}

/// A freshly created API token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    /// Id (to revoke it).
    pub id: Uuid,
    /// Send as `Authorization: Bearer <token>`; shown only now.
    pub token: String,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API token's metadata.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    /// The account it acts for.
    pub account_id: Uuid,
    /// What it is for.
    pub label: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used, to within 15 minutes (`null`: never, or not since meldpunt
    /// began to record it).
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<TokenInfo> for TokenView {
    fn from(t: TokenInfo) -> Self {
        TokenView {
            id: t.id,
            account_id: t.account_id,
            label: t.label,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        }
    }
}

fn department_ids(slugs: &[String], catalog: &Catalog, errors: &mut FieldErrors) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for (index, slug) in slugs.iter().enumerate() {
        match catalog.department_by_slug(slug) {
            Some(department) => ids.push(department.id),
            None => errors.add(format!("/departments/{index}"), format!("there is no department '{slug}'")),
        }
    }
    ids
}

/// Lists every staff account (admins only).
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every account", body = Vec<AccountView>),
        Unavailable,
        AdminErrors,
    )
)]
#[get("/api/v1/admin/accounts")]
pub async fn list_accounts(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Admin])?;
    Ok(HttpResponse::Ok().json(account_views(&state).await?))
}

/// Every staff account as admins see it (the list of `GET /api/v1/admin/accounts` and of
/// the console's accounts page).
pub async fn account_views(state: &AppState) -> Result<Vec<AccountView>, ApiError> {
    let list = state.db.run(accounts::list).await?;
    let snapshot = state.config.snapshot();
    Ok(list.into_iter().map(|a| AccountView::build(a, &snapshot.catalog)).collect())
}

/// Creates a staff account (admins only).
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body(content = CreateAccount, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = AccountView),
        (status = 409, description = "An account with this email exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/accounts")]
pub async fn create_account(
    staff: Staff,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Admin])?;
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: CreateAccount = parse(body.value)?;
    Ok(HttpResponse::Created().json(create_account_from(&state, input).await?))
}

/// Checks and stores a new staff account (the rules of `POST /api/v1/admin/accounts`, for
/// the API and the console): a valid email and name, known departments (department staff
/// need one), a password by the password rules, hashed off the executor; `409` when the
/// email is taken.
pub async fn create_account_from(state: &AppState, input: CreateAccount) -> Result<AccountView, ApiError> {
    let snapshot = state.config.snapshot();
    let mut errors = FieldErrors::default();
    let email = errors.check("/email", email_address(input.email.trim())).map(|e| e.to_ascii_lowercase());
    let name = errors.check("/name", bounded_text(&input.name, "name", NAME_MAX));
    let departments = department_ids(&input.departments, &snapshot.catalog, &mut errors);
    if input.role == Role::DepartmentStaff && input.departments.is_empty() {
        errors.add("/departments", "department staff need at least one department");
    }
    let hash = match input.password.as_deref() {
        Some(password) => {
            let password = password.to_owned();
            let checked = errors.check("/password", check_password(&password));
            match checked {
                Some(()) => Some(
                    web::block(move || hash_password(&password))
                        .await?
                        .map_err(|e| ApiError::Internal(e.to_string()))?,
                ),
                None => None,
            }
        }
        None => None,
    };
    let new = errors
        .finish(|| {
            Some(NewAccount { email: email?, name: name?, role: Some(input.role), password_hash: hash, departments })
        })
        .map_err(ApiError::Validation)?;
    let created = state.db.run(move |conn| conn.write_transaction(|c| accounts::create(c, &new))).await?;
    let account = created.ok_or_else(|| ApiError::Conflict("an account with this email address exists".into()))?;
    tracing::info!(account_id = %account.id, role = account.role.map_or("none", Role::as_str), "staff account created");
    Ok(AccountView::build(account, &snapshot.catalog))
}

/// Changes an account (admins only): name, role, password, departments; `active: false`
/// deactivates it and revokes its tokens.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Account id")),
    request_body(content = UpdateAccount, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = AccountView),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change would leave no active admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[patch("/api/v1/admin/accounts/{id}")]
pub async fn update_account(
    staff: Staff,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Admin])?;
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: UpdateAccount = parse(body.value)?;
    Ok(HttpResponse::Ok().json(update_account_from(&state, id, input).await?))
}

/// Checks and applies changes to account `id` (the rules of `PATCH
/// /api/v1/admin/accounts/{id}`, for the API and the console): deactivating revokes its
/// tokens; `404` for no such account, `409` when no active admin would be left.
pub async fn update_account_from(state: &AppState, id: Uuid, input: UpdateAccount) -> Result<AccountView, ApiError> {
    let snapshot = state.config.snapshot();
    let mut errors = FieldErrors::default();
    let name = input.name.as_deref().and_then(|n| errors.check("/name", bounded_text(n, "name", NAME_MAX)));
    let departments = input.departments.as_ref().map(|slugs| department_ids(slugs, &snapshot.catalog, &mut errors));
    let password_hash = match input.password {
        Some(password) => match errors.check("/password", check_password(&password)) {
            Some(()) => Some(
                web::block(move || hash_password(&password)).await?.map_err(|e| ApiError::Internal(e.to_string()))?,
            ),
            None => None,
        },
        None => None,
    };
    let changes = errors
        .finish(|| Some(AccountChanges { name, role: input.role, password_hash, active: input.active, departments }))
        .map_err(ApiError::Validation)?;
    let updated = state
        .db
        .run(move |conn| {
            conn.write_transaction(|c| -> Result<Option<Account>, crate::storage::StorageError> {
                let updated = accounts::update(c, id, &changes)?;
                if updated.is_some() && !accounts::has_active_admin(c)? {
                    // Roll back: the deployment would lock itself out.
                    return Err(crate::storage::StorageError::Corrupt("no-admin-left".into()));
                }
                Ok(updated)
            })
        })
        .await;
    let updated = match updated {
        Ok(inner) => inner,
        Err(crate::storage::StorageError::Corrupt(why)) if why == "no-admin-left" => {
            return Err(ApiError::Conflict(
                "this change would leave no active admin; make another account admin first".into(),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    let account = updated.ok_or_else(|| ApiError::NotFound(format!("there is no account {id}")))?;
    if account.role == Some(Role::DepartmentStaff) && account.departments.is_empty() && account.active {
        tracing::warn!(account_id = %account.id, "department staff account without departments sees no reports");
    }
    Ok(AccountView::build(account, &snapshot.catalog))
}

/// Creates an API token acting as this account, for an integration (admins only). The
/// token is shown only in this answer.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Account id")),
    request_body(content = CreateToken, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = CreatedToken),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        JsonBodyErrors,
        AdminErrors,
    )
)]
#[post("/api/v1/admin/accounts/{id}/tokens")]
pub async fn create_token(
    staff: Staff,
    path: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Admin])?;
    let id = path.into_inner();
    let body = read_json(&request, payload, state.max_body_bytes).await?;
    let input: CreateToken = parse(body.value)?;
    Ok(HttpResponse::Created().json(create_token_for(&state, id, input).await?))
}

/// Checks and issues an API token acting as account `id` (the rules of `POST
/// /api/v1/admin/accounts/{id}/tokens`, for the API and the console). Only its hash is
/// stored: the answer is the one time the token is seen. `404` for no such account.
pub async fn create_token_for(state: &AppState, id: Uuid, input: CreateToken) -> Result<CreatedToken, ApiError> {
    let mut errors = FieldErrors::default();
    let label = errors.check("/label", bounded_text(&input.label, "label", NAME_MAX));
    // An upper bound too: a date past chrono's range cannot be stored (and would overflow).
    if input.expires_in_days.is_some_and(|days| !(1..=MAX_TOKEN_DAYS).contains(&days)) {
        errors.add("/expires_in_days", "send 1 to 36500 days, or leave it out for a token that does not expire");
    }
    let label = errors.finish(|| label).map_err(ApiError::Validation)?;
    let expires_at = input.expires_in_days.map(|days| Utc::now() + Duration::days(i64::from(days)));
    let token = new_token();
    let hash = token_hash(&token);
    let issued = state
        .db
        .run(move |conn| {
            conn.write_transaction(|c| -> Result<Option<Uuid>, crate::storage::StorageError> {
                if accounts::get(c, id)?.is_none() {
                    return Ok(None);
                }
                accounts::issue_token(c, id, &hash, TokenKind::Api, Some(&label), expires_at).map(Some)
            })
        })
        .await?;
    let token_id = issued.ok_or_else(|| ApiError::NotFound(format!("there is no account {id}")))?;
    Ok(CreatedToken { id: token_id, token, expires_at })
}

/// Lists the API tokens (admins only); never the tokens themselves.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every API token", body = Vec<TokenView>),
        Unavailable,
        AdminErrors,
    )
)]
#[get("/api/v1/admin/tokens")]
pub async fn list_tokens(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Admin])?;
    Ok(HttpResponse::Ok().json(token_views(&state).await?))
}

/// The API tokens of every account, newest first; never the tokens themselves.
pub async fn token_views(state: &AppState) -> Result<Vec<TokenView>, ApiError> {
    let tokens = state.db.run(accounts::api_tokens).await?;
    Ok(tokens.into_iter().map(TokenView::from).collect())
}

/// Revokes a token (admins only); it stops working at once.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token, or already revoked", body = Problem, content_type = "application/problem+json"),
        Unavailable,
        AdminErrors,
    )
)]
#[delete("/api/v1/admin/tokens/{id}")]
pub async fn revoke_token(
    staff: Staff,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    staff.require(&[Role::Admin])?;
    remove_token(&state, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes token `id` at once; `404` when there is no such token or it is already revoked.
pub async fn remove_token(state: &AppState, id: Uuid) -> Result<(), ApiError> {
    let revoked = state.db.run(move |conn| conn.write_transaction(|c| accounts::revoke_token(c, id))).await?;
    if !revoked {
        return Err(ApiError::NotFound(format!("there is no active token {id}")));
    }
    Ok(())
}
