//! Who is asking: a middleware resolves the session cookie once per request (and, under
//! `/t/{slug}/`, the caller's membership there); extractors hand the result to handlers.
//! Every route states the least it needs by the extractor it takes: [`SignedInUser`],
//! [`TenantCaller`], [`Operator`].

use poem::http::header;
use poem::{
    Endpoint, FromRequest, IntoResponse, Middleware, Request, RequestBody, Response, Result,
};

use super::middleware::cookie_value;
use crate::app::AppState;
use crate::domain::caller::{AuthMethod, Caller, Identity};
use crate::domain::role::Role;
use crate::domain::tenants::Tenant;
use crate::error::AppError;
use crate::service::auth::SignedIn;
use crate::views::{TenantNav, UserNav};

pub const SESSION_COOKIE: &str = "__Host-sb-session";

/// The session cookie for a new session (no Max-Age: the server decides when it ends).
pub fn session_cookie(secret: &str) -> String {
    format!("{SESSION_COOKIE}={secret}; Path=/; Secure; HttpOnly; SameSite=Lax")
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
}

/// What the middleware found out about the requester.
#[derive(Debug, Clone)]
pub struct RequestAuth {
    pub signed_in: SignedIn,
    /// Set under `/t/{slug}/` when the person is an enabled member of a usable tenant.
    pub tenant: Option<(Caller, Tenant)>,
    /// Tenants the person may switch to.
    pub tenants: Vec<(Tenant, Role)>,
}

impl RequestAuth {
    pub fn user_nav(&self) -> UserNav {
        UserNav {
            name: self.signed_in.account.name.clone(),
            email: self.signed_in.account.email.clone(),
            operator: self.signed_in.account.operator,
            tenant: self.tenant.as_ref().map(|(c, t)| TenantNav {
                slug: t.slug.clone(),
                name: t.name.clone(),
                role: c.role,
            }),
            tenants: self
                .tenants
                .iter()
                .map(|(t, _)| (t.slug.clone(), t.name.clone()))
                .collect(),
        }
    }
}

/// The client's address as a string, for rate limits and the audit log.
pub fn client_addr(req: &Request) -> String {
    req.remote_addr()
        .as_socket_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn tenant_slug(path: &str) -> Option<&str> {
    path.strip_prefix("/t/")?
        .split('/')
        .next()
        .filter(|s| !s.is_empty())
}

#[derive(Clone, Copy, Default)]
pub struct LoadSession;

impl<E: Endpoint> Middleware<E> for LoadSession {
    type Output = LoadSessionEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        LoadSessionEndpoint { inner: ep }
    }
}

pub struct LoadSessionEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for LoadSessionEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if let (Some(secret), Some(state)) = (
            cookie_value(&req, SESSION_COOKIE).map(str::to_owned),
            req.data::<AppState>().cloned(),
        ) && !req.uri().path().starts_with("/static/")
        {
            let services = &state.services;
            if let Some(signed_in) = services.signed_in(&secret).await.map_err(AppError::from)? {
                let tenant = match tenant_slug(req.uri().path()) {
                    Some(slug) => services
                        .caller_in(&signed_in.account, slug, AuthMethod::Session)
                        .await
                        .ok(),
                    None => None,
                };
                let tenants = services
                    .tenants_of(&signed_in.account)
                    .await
                    .map_err(AppError::from)?;
                // Every tenant suspended or membership disabled: the session is over.
                if tenants.is_empty() && !signed_in.account.operator {
                    services
                        .sessions
                        .end(signed_in.session.id_hash)
                        .await
                        .map_err(AppError::from)?;
                    return self.inner.call(req).await.map(IntoResponse::into_response);
                }
                let seen_tenant = tenant
                    .as_ref()
                    .map(|(c, _)| c.tenant)
                    .or(signed_in.session.tenant);
                services.sessions.mark_seen(
                    signed_in.session.id_hash,
                    signed_in.account.id,
                    seen_tenant,
                    services.now(),
                );
                req.extensions_mut().insert(RequestAuth {
                    signed_in,
                    tenant,
                    tenants,
                });
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// Sends an anonymous visitor to the sign-in page, returning here afterwards.
fn sign_in_redirect(req: &Request) -> poem::Error {
    // Handlers under a nested route see a shortened URI; the person typed the original.
    let next = req
        .original_uri()
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let location = format!("/login?next={}", urlencode(next));
    poem::Error::from_response(
        Response::builder()
            .status(poem::http::StatusCode::SEE_OTHER)
            .header(header::LOCATION, location)
            .finish(),
    )
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// Any signed-in person. Someone who must change an initial password is sent to do so
/// before anything else.
pub struct SignedInUser(pub RequestAuth);

impl SignedInUser {
    pub fn identity(&self) -> Identity {
        self.0.signed_in.identity()
    }
}

impl<'a> FromRequest<'a> for SignedInUser {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> Result<Self> {
        let auth = req
            .extensions()
            .get::<RequestAuth>()
            .cloned()
            .ok_or_else(|| sign_in_redirect(req))?;
        if auth.signed_in.account.must_change_password
            && req.original_uri().path() != "/account/password"
            && req.original_uri().path() != "/logout"
        {
            return Err(poem::Error::from_response(
                Response::builder()
                    .status(poem::http::StatusCode::SEE_OTHER)
                    .header(header::LOCATION, "/account/password")
                    .finish(),
            ));
        }
        Ok(SignedInUser(auth))
    }
}

/// An enabled member of the tenant named in the URL. Non-members get 404, not 403, so a
/// tenant's existence does not leak.
pub struct TenantCaller {
    pub caller: Caller,
    pub tenant: Tenant,
    pub auth: RequestAuth,
}

impl<'a> FromRequest<'a> for TenantCaller {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> Result<Self> {
        let SignedInUser(auth) = SignedInUser::from_request(req, body).await?;
        let (caller, tenant) = auth.tenant.clone().ok_or(AppError::NotFound)?;
        Ok(TenantCaller {
            caller,
            tenant,
            auth,
        })
    }
}

/// A signed-in person outside any tenant (the operator area): only who they are. Whether
/// they may use a page is decided by the service function it calls.
pub struct SignedInIdentity(pub RequestAuth);

impl SignedInIdentity {
    pub fn identity(&self) -> Identity {
        self.0.signed_in.identity()
    }
}

impl<'a> FromRequest<'a> for SignedInIdentity {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> Result<Self> {
        let SignedInUser(auth) = SignedInUser::from_request(req, body).await?;
        Ok(SignedInIdentity(auth))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_come_from_tenant_paths_only() {
        assert_eq!(tenant_slug("/t/acme/settings/"), Some("acme"));
        assert_eq!(tenant_slug("/t/acme"), Some("acme"));
        assert_eq!(tenant_slug("/t//x"), None);
        assert_eq!(tenant_slug("/admin/"), None);
    }

    #[test]
    fn next_targets_are_encoded() {
        assert_eq!(urlencode("/t/a/?q=1&x=2"), "%2Ft%2Fa%2F%3Fq%3D1%26x%3D2");
    }
}
