//! Sign in and out, the tenant chooser, first-run setup, invitations, password change.

use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::respond::{form_errors, form_status, see_other, see_other_with_cookie};
use super::safe_next;
use super::session::{
    RequestAuth, SignedInUser, clear_session_cookie, client_addr, session_cookie,
};
use crate::app::AppState;
use crate::error::AppError;
use crate::service::ServiceError;
use crate::service::auth::LoginOutcome;
use crate::service::setup::SetupInput;
use crate::views::data::{InvitationForm, SetupForm};
use crate::views::forms::FormErrors;
use crate::views::{self, PageCtx};

fn user_agent(req: &Request) -> String {
    req.headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

#[handler]
pub fn login_page(req: &Request, ctx: PageCtx, Query(q): Query<NextQuery>) -> Response {
    if let Some(auth) = req.extensions().get::<RequestAuth>() {
        return see_other(&landing(
            auth.tenants.len(),
            auth.tenants.first().map(|(t, _)| t.slug.as_str()),
            auth.signed_in.account.operator,
        ));
    }
    let next = safe_next(&q.next).unwrap_or("");
    views::auth::login(&ctx, "", None, next).into_response()
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

/// Where a person lands after signing in.
fn landing(tenant_count: usize, only_slug: Option<&str>, operator: bool) -> String {
    match (tenant_count, only_slug) {
        (1, Some(slug)) => format!("/t/{slug}/"),
        (0, _) if operator => "/admin/".to_owned(),
        _ => "/choose".to_owned(),
    }
}

#[handler]
pub async fn login(
    req: &Request,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(&form.next).unwrap_or("").to_owned();
    let outcome = state
        .services
        .login(
            &form.email,
            &form.password,
            &client_addr(req),
            &user_agent(req),
        )
        .await;
    let error_key = match outcome {
        Ok(LoginOutcome::SignedIn {
            secret,
            account,
            tenants,
        }) => {
            let target = if account.must_change_password {
                "/account/password".to_owned()
            } else if !next.is_empty() {
                next
            } else {
                landing(
                    tenants.len(),
                    tenants.first().map(|(t, _)| t.slug.as_str()),
                    account.operator,
                )
            };
            return Ok(see_other_with_cookie(&target, &session_cookie(&secret)));
        }
        Ok(LoginOutcome::Failed) => "auth.login_failed",
        Ok(LoginOutcome::Suspended) => "auth.suspended",
        Err(ServiceError::RateLimited(wait)) => {
            let page = views::auth::login(&ctx, &form.email, Some("auth.rate_limited"), &next);
            return Ok(page
                .with_status(StatusCode::TOO_MANY_REQUESTS)
                .with_header(header::RETRY_AFTER, wait.as_secs().max(1).to_string())
                .into_response());
        }
        Err(e) => return Err(e.into()),
    };
    Ok(
        views::auth::login(&ctx, &form.email, Some(error_key), &next)
            .with_status(StatusCode::UNAUTHORIZED)
            .into_response(),
    )
}

#[handler]
pub async fn logout(req: &Request, state: Data<&AppState>) -> Result<Response, AppError> {
    if let Some(auth) = req.extensions().get::<RequestAuth>() {
        state
            .services
            .logout(&auth.signed_in, &client_addr(req))
            .await?;
    }
    Ok(see_other_with_cookie(
        "/login?done=signed_out",
        &clear_session_cookie(),
    ))
}

#[handler]
pub async fn choose(user: SignedInUser, ctx: PageCtx) -> Response {
    views::auth::choose_tenant(&ctx, &user.0.tenants).into_response()
}

#[handler]
pub async fn setup_page(
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    if !state.services.setup_token_valid(&token) {
        return Err(AppError::NotFound);
    }
    Ok(views::auth::setup(&ctx, &SetupForm::default(), &FormErrors::new()).into_response())
}

#[handler]
pub async fn setup(
    req: &Request,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(token): Path<String>,
    Form(form): Form<SetupForm>,
) -> Result<Response, AppError> {
    let input = SetupInput {
        name: form.name.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        password_confirm: form.password_confirm.clone(),
        tenant_name: form.tenant_name.clone(),
        tenant_slug: form.tenant_slug.clone(),
    };
    let addr = client_addr(req);
    match state.services.complete_setup(&token, input, &addr).await {
        Ok((account, tenant)) => {
            let secret = state
                .services
                .sessions
                .create(account.id, Some(tenant.id), &user_agent(req))
                .await?;
            Ok(see_other_with_cookie(
                "/admin/?done=setup_done",
                &session_cookie(&secret),
            ))
        }
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(views::auth::setup(&ctx, &form, &errors)
                .with_status(form_status(&errors))
                .into_response())
        }
    }
}

#[handler]
pub async fn invitation_page(
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match state.services.invitation(&token).await {
        Ok((tenant, email, existing)) => Ok(views::auth::accept_invitation(
            &ctx,
            &tenant.name,
            &email,
            existing,
            &InvitationForm::default(),
            &FormErrors::new(),
        )
        .into_response()),
        Err(ServiceError::NotFound) => Ok(views::auth::invitation_invalid(&ctx)
            .with_status(StatusCode::NOT_FOUND)
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[handler]
pub async fn accept_invitation(
    req: &Request,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(token): Path<String>,
    Form(form): Form<InvitationForm>,
) -> Result<Response, AppError> {
    let addr = client_addr(req);
    match state
        .services
        .accept_invitation(
            &token,
            &form.name,
            &form.password,
            &form.password_confirm,
            &addr,
        )
        .await
    {
        Ok((account, tenant)) => {
            let secret = state
                .services
                .sessions
                .create(account.id, Some(tenant.id), &user_agent(req))
                .await?;
            Ok(see_other_with_cookie(
                &format!("/t/{}/", tenant.slug),
                &session_cookie(&secret),
            ))
        }
        Err(ServiceError::NotFound) => Ok(views::auth::invitation_invalid(&ctx)
            .with_status(StatusCode::NOT_FOUND)
            .into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let (tenant, email, existing) = state.services.invitation(&token).await?;
            Ok(
                views::auth::accept_invitation(
                    &ctx,
                    &tenant.name,
                    &email,
                    existing,
                    &form,
                    &errors,
                )
                .with_status(form_status(&errors))
                .into_response(),
            )
        }
    }
}

#[handler]
pub fn password_page(user: SignedInUser, ctx: PageCtx) -> Response {
    views::auth::change_password(
        &ctx,
        &FormErrors::new(),
        user.0.signed_in.account.must_change_password,
    )
    .into_response()
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    password_confirm: String,
}

#[handler]
pub async fn change_password(
    req: &Request,
    user: SignedInUser,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let result = state
        .services
        .change_password(
            &user.0.signed_in,
            &form.current_password,
            &form.new_password,
            &form.password_confirm,
            &client_addr(req),
            &user_agent(req),
        )
        .await;
    match result {
        Ok(secret) => Ok(see_other_with_cookie(
            "/account/profile?done=password_changed",
            &session_cookie(&secret),
        )),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(views::auth::change_password(
                &ctx,
                &errors,
                user.0.signed_in.account.must_change_password,
            )
            .with_status(form_status(&errors))
            .into_response())
        }
    }
}
