//! The JSON API under `/api/v1/`, described by poem-openapi (document at
//! `/api/v1/openapi.json`). Callers authenticate with a personal token as
//! `Authorization: Bearer sbt_…`; authorisation is the same as on the pages.

use poem::error::ReadBodyError;
use poem::http::header;
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::error::AppError;
use poem_openapi::auth::Bearer;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, OpenApiService, SecurityScheme};

use super::api_problem::Problem;
use crate::app::{AppState, VERSION};
use crate::domain::accounts::Account;
use crate::domain::caller::Identity;

/// The person behind a valid token.
pub struct ApiUser {
    pub account: Account,
    pub identity: Identity,
}

/// An unknown, revoked or expired token is a 401; a store that cannot answer right now (a
/// full disk being healed, a restore) is its own error, not a reason to tell the client
/// that its token is wrong.
async fn check_token(req: &Request, bearer: Bearer) -> poem::Result<ApiUser> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| AppError::Internal("application state missing".to_owned()))?;
    match state.services.authenticate_token(&bearer.token).await {
        Ok(Some((account, identity))) => Ok(ApiUser { account, identity }),
        Ok(None) => Err(poem_openapi::error::AuthorizationError.into()),
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// A personal API token, created under Account → API tokens.
#[derive(SecurityScheme)]
#[oai(
    ty = "bearer",
    bearer_format = "sbt_<64 hex digits>",
    checker = "check_token"
)]
pub struct TokenAuth(pub ApiUser);

#[derive(Debug, Object)]
pub struct MembershipOut {
    pub tenant_slug: String,
    pub tenant_name: String,
    /// customer, supporter or tenant_admin
    pub role: String,
}

#[derive(Debug, Object)]
pub struct MeOut {
    pub id: u64,
    pub email: String,
    pub name: String,
    pub operator: bool,
    /// Tenants the account may work in now.
    pub memberships: Vec<MembershipOut>,
}

pub struct Api;

#[OpenApi]
impl Api {
    /// Who the token belongs to, and where they may work.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, req: &Request, auth: TokenAuth) -> Result<Json<MeOut>, Problem> {
        let state = req.data::<AppState>().ok_or_else(|| {
            crate::error::AppError::Internal("application state missing".to_owned())
        })?;
        let user = auth.0;
        let tenants = state
            .services
            .tenants_of(&user.account)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(Json(MeOut {
            id: user.account.id.0,
            email: user.account.email.clone(),
            name: user.account.name.clone(),
            operator: user.identity.operator,
            memberships: tenants
                .into_iter()
                .map(|(t, role)| MembershipOut {
                    tenant_slug: t.slug,
                    tenant_name: t.name,
                    role: role.code().to_owned(),
                })
                .collect(),
        }))
    }
}

/// The payload parser reads a JSON body whole, so its size is bounded before that: ticket
/// texts are far smaller, and a bigger body is answered 413 without being buffered.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// Wraps the API operations: bounds JSON bodies (see [`MAX_JSON_BYTES`]).
pub async fn limit_json_body<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        let body = req
            .take_body()
            .into_bytes_limit(MAX_JSON_BYTES)
            .await
            .map_err(|e| match e {
                ReadBodyError::PayloadTooLarge => {
                    AppError::TooLarge("the JSON body is larger than 1 MiB")
                }
                other => AppError::BadRequest(other.to_string()),
            })?;
        req.set_body(body);
    }
    Ok(next.call(req).await?.into_response())
}

pub fn service() -> OpenApiService<
    (
        Api,
        super::api_tickets::TicketApi,
        super::api_customers::CustomerApi,
        super::api_tokens::TokenApi,
    ),
    (),
> {
    OpenApiService::new(
        (
            Api,
            super::api_tickets::TicketApi,
            super::api_customers::CustomerApi,
            super::api_tokens::TokenApi,
        ),
        "Supportbox API",
        VERSION,
    )
    .server("/api/v1")
}
