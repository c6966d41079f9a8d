//! API tokens through the API: an integration without a browser gets its first token with
//! the account's password, lists the account's tokens and revokes one with a token
//! (docs/api.md). The secret is in the creation's answer only.

use jiff::Timestamp;
use poem::Request;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::api::TokenAuth;
use super::api_problem::Problem;
use super::api_tickets::{api_error, state};
use super::session::client_addr;
use crate::domain::ids::TokenId;
use crate::domain::tokens::ApiToken;

#[derive(Debug, Object)]
pub struct TokenOut {
    pub id: u64,
    pub name: String,
    pub created_at: String,
    /// The last moment the token works, or `null` for no end.
    #[oai(nullable)]
    pub expires_at: Option<String>,
    pub revoked: bool,
    /// Recorded at most hourly; `null` before the first use.
    #[oai(nullable)]
    pub last_used: Option<String>,
}

#[derive(Debug, Object)]
pub struct TokenListOut {
    /// Newest first.
    pub tokens: Vec<TokenOut>,
}

#[derive(Debug, Object)]
pub struct NewTokenIn {
    pub email: String,
    pub password: String,
    /// What the token is for, e.g. "Phone system".
    pub name: String,
    /// `YYYY-MM-DD`: valid through that day (UTC); empty or absent for no end.
    #[oai(default)]
    pub expires: String,
}

#[derive(Debug, Object)]
pub struct NewTokenOut {
    pub token: TokenOut,
    /// `Authorization: Bearer <secret>`. Shown only in this answer.
    pub secret: String,
}

fn stamp(t: Timestamp) -> String {
    t.to_string()
}

fn token_out(t: &ApiToken) -> TokenOut {
    TokenOut {
        id: t.id.0,
        name: t.name.clone(),
        created_at: stamp(t.created_at),
        expires_at: t.expires_at.map(stamp),
        revoked: t.revoked,
        last_used: t.last_used.map(stamp),
    }
}

pub struct TokenApi;

#[OpenApi]
impl TokenApi {
    /// The tokens of the account the calling token belongs to.
    #[oai(path = "/tokens", method = "get")]
    async fn list(&self, req: &Request, auth: TokenAuth) -> Result<Json<TokenListOut>, Problem> {
        let services = &state(req)?.services;
        let tokens = services.tokens(&auth.0.identity).await.map_err(api_error)?;
        Ok(Json(TokenListOut {
            tokens: tokens.iter().map(token_out).collect(),
        }))
    }

    /// A new token for the account whose address and password are given; limited like a
    /// sign-in.
    #[oai(path = "/tokens", method = "post")]
    async fn create(
        &self,
        req: &Request,
        body: Json<NewTokenIn>,
    ) -> Result<Json<NewTokenOut>, Problem> {
        let services = &state(req)?.services;
        let b = body.0;
        let (token, secret) = services
            .create_token_with_password(
                &b.email,
                &b.password,
                &b.name,
                &b.expires,
                &client_addr(req),
            )
            .await
            .map_err(api_error)?;
        Ok(Json(NewTokenOut {
            token: token_out(&token),
            secret,
        }))
    }

    /// Revokes one of the account's tokens (the calling one too, if asked).
    #[oai(path = "/tokens/:id/revoke", method = "post")]
    async fn revoke(
        &self,
        req: &Request,
        auth: TokenAuth,
        id: Path<u64>,
    ) -> Result<Json<TokenOut>, Problem> {
        let services = &state(req)?.services;
        let who = &auth.0.identity;
        services
            .revoke_token(who, TokenId(id.0), &client_addr(req))
            .await
            .map_err(api_error)?;
        let tokens = services.tokens(who).await.map_err(api_error)?;
        let token = tokens
            .iter()
            .find(|t| t.id == TokenId(id.0))
            .map(token_out)
            .ok_or_else(|| api_error(crate::service::ServiceError::NotFound))?;
        Ok(Json(token))
    }
}
