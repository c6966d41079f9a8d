//! `/password/forgot` and `/reset/:token`: the way back in without the password
//! (docs/security.md, "Password reset"). Admins issue the links on a member's page and the
//! operator on an organisation's page.

use poem::http::StatusCode;
use poem::web::{Data, Form, Path};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::respond::{form_errors, form_status, see_other};
use super::session::client_addr;
use crate::app::AppState;
use crate::error::AppError;
use crate::service::ServiceError;
use crate::views::forms::FormErrors;
use crate::views::{self, PageCtx};

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    password: String,
    password_confirm: String,
}

#[handler]
pub fn forgot_page(ctx: PageCtx) -> Response {
    views::password_reset::forgot(&ctx).into_response()
}

fn invalid(ctx: &PageCtx) -> Response {
    views::password_reset::invalid(ctx)
        .with_status(StatusCode::NOT_FOUND)
        .into_response()
}

#[handler]
pub async fn reset_page(
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match state.services.reset_link(&token).await {
        Ok(target) => Ok(
            views::password_reset::choose(&ctx, &target.email, &FormErrors::new()).into_response(),
        ),
        Err(ServiceError::NotFound) => Ok(invalid(&ctx)),
        Err(e) => Err(e.into()),
    }
}

#[handler]
pub async fn reset(
    req: &Request,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let result = state
        .services
        .reset_password(
            &token,
            &form.password,
            &form.password_confirm,
            &client_addr(req),
        )
        .await;
    match result {
        Ok(_) => Ok(see_other("/login?done=password_reset")),
        Err(ServiceError::NotFound) => Ok(invalid(&ctx)),
        Err(e) => {
            let errors = form_errors(e)?;
            let target = match state.services.reset_link(&token).await {
                Ok(target) => target,
                Err(ServiceError::NotFound) => return Ok(invalid(&ctx)),
                Err(e) => return Err(e.into()),
            };
            Ok(views::password_reset::choose(&ctx, &target.email, &errors)
                .with_status(form_status(&errors))
                .into_response())
        }
    }
}
