//! Pages that belong to no particular area: the start page and the language switch.

use poem::http::{StatusCode, header};
use poem::web::{Data, Form};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::ctx::LANG_COOKIE;
use super::safe_next;
use super::session::RequestAuth;
use crate::app::AppState;
use crate::domain::lang::Lang;
use crate::error::AppError;
use crate::views::{self, PageCtx};

/// The start page. Signed-in people go straight to where they work.
#[handler]
pub async fn home(
    req: &Request,
    ctx: PageCtx,
    state: Data<&AppState>,
) -> Result<Response, AppError> {
    if let Some(auth) = req.extensions().get::<RequestAuth>() {
        let target = match (auth.tenants.as_slice(), auth.signed_in.account.operator) {
            ([(only, _)], _) => format!("/t/{}/", only.slug),
            ([], true) => "/admin/".to_owned(),
            _ => "/choose".to_owned(),
        };
        return Ok(super::respond::see_other(&target));
    }
    let setup_pending = !state.services.is_set_up().await?;
    Ok(views::home::home(&ctx, state.tls.ca_fingerprint.as_deref(), setup_pending).into_response())
}

#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    lang: String,
    next: Option<String>,
}

/// Remembers the chosen language for a year and returns to the page the form was on.
#[handler]
pub async fn set_language(
    req: &Request,
    state: Data<&AppState>,
    Form(form): Form<LanguageForm>,
) -> Result<Response, AppError> {
    let lang = Lang::from_tag(&form.lang)
        .ok_or_else(|| AppError::BadRequest(format!("unsupported language {:?}", form.lang)))?;
    if let Some(auth) = req.extensions().get::<RequestAuth>() {
        state
            .services
            .set_language(&auth.signed_in.identity(), lang)
            .await?;
    }
    let next = form.next.as_deref().and_then(safe_next).unwrap_or("/");
    Ok(Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, next)
        .header(
            header::SET_COOKIE,
            format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; Secure; HttpOnly; SameSite=Lax",
                lang.code()
            ),
        )
        .finish())
}
