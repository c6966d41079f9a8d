//! One's own account: profile and personal API tokens.

use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::respond::{form_errors, form_status, see_other, with_done};
use super::session::{SignedInUser, client_addr};
use crate::app::AppState;
use crate::domain::ids::TokenId;
use crate::error::AppError;
use crate::views::data::{ProfileForm, TokenForm};
use crate::views::forms::FormErrors;
use crate::views::{self, PageCtx};

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    pub done: Option<String>,
}

impl DoneQuery {
    /// Only known confirmation keys are shown; anything else in the URL is ignored.
    pub fn key(&self) -> Option<&str> {
        self.done
            .as_deref()
            .filter(|k| k.len() <= 40 && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
    }
}

#[handler]
pub async fn profile_page(
    user: SignedInUser,
    ctx: PageCtx,
    Query(q): Query<DoneQuery>,
) -> Response {
    let account = &user.0.signed_in.account;
    views::account::profile(
        &ctx,
        account,
        &ProfileForm::from(account),
        &FormErrors::new(),
        q.key(),
    )
    .into_response()
}

#[handler]
pub async fn update_profile(
    user: SignedInUser,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<ProfileForm>,
) -> Result<Response, AppError> {
    match state
        .services
        .update_profile(&user.identity(), &form.name, &form.phone, &form.lang)
        .await
    {
        Ok(_) => Ok(see_other("/account/profile?done=profile_saved")),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(
                views::account::profile(&ctx, &user.0.signed_in.account, &form, &errors, None)
                    .with_status(form_status(&errors))
                    .into_response(),
            )
        }
    }
}

#[handler]
pub async fn tokens_page(
    user: SignedInUser,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let tokens = state.services.tokens(&user.identity()).await?;
    Ok(views::account::tokens(
        &ctx,
        state.services.now(),
        &tokens,
        None,
        &TokenForm::default(),
        &FormErrors::new(),
        q.key(),
    )
    .into_response())
}

#[handler]
pub async fn create_token(
    req: &Request,
    user: SignedInUser,
    ctx: PageCtx,
    state: Data<&AppState>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    let identity = user.identity();
    let result = state
        .services
        .create_token(&identity, &form.name, &form.expires, &client_addr(req))
        .await;
    let tokens = state.services.tokens(&identity).await?;
    let now = state.services.now();
    match result {
        // The secret is rendered directly (not via redirect) because it is shown only once.
        Ok((_, secret)) => Ok(views::account::tokens(
            &ctx,
            now,
            &tokens,
            Some(&secret),
            &TokenForm::default(),
            &FormErrors::new(),
            Some("token_created"),
        )
        .into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok(
                views::account::tokens(&ctx, now, &tokens, None, &form, &errors, None)
                    .with_status(form_status(&errors))
                    .into_response(),
            )
        }
    }
}

#[handler]
pub async fn revoke_token(
    req: &Request,
    user: SignedInUser,
    state: Data<&AppState>,
    Path(id): Path<u64>,
) -> Result<Response, AppError> {
    state
        .services
        .revoke_token(&user.identity(), TokenId(id), &client_addr(req))
        .await?;
    Ok(see_other(&with_done("/account/tokens", "token_revoked")))
}
