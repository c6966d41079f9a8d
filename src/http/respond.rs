//! Small answers shared by handlers: post/redirect/get, and turning service refusals into
//! form errors.

use poem::Response;
use poem::http::{StatusCode, header};

use crate::error::AppError;
use crate::service::ServiceError;
use crate::views::forms::FormErrors;

/// 303 See Other: after a successful POST the browser GETs the result page, so a reload
/// never repeats the action.
pub fn see_other(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .finish()
}

/// A redirect that also sets a cookie.
pub fn see_other_with_cookie(location: &str, cookie: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .header(header::SET_COOKIE, cookie)
        .finish()
}

/// The status of a page that shows a form: 422 when it shows the errors of a refused post,
/// so the status always matches what the page says.
pub fn form_status(errors: &FormErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Field errors become a re-rendered form (422); anything else stays an error.
pub fn form_errors(err: ServiceError) -> Result<FormErrors, AppError> {
    match err {
        ServiceError::Invalid(list) => {
            let mut errors = FormErrors::new();
            for e in list {
                errors.push(e);
            }
            Ok(errors)
        }
        ServiceError::Refused(e) => {
            let mut errors = FormErrors::new();
            errors.push(e);
            Ok(errors)
        }
        other => Err(other.into()),
    }
}

/// Appends `done=key` to a path so the next page shows the confirmation line.
pub fn with_done(path: &str, key: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}done={key}")
}

/// The answer to a submitted form: on success back to `path` with the confirmation `done`
/// (post/redirect/get); on a refusal the page again, built by `again` from the field errors.
pub async fn saved_or_again<T, Fut>(
    result: Result<T, ServiceError>,
    path: &str,
    done: &str,
    again: impl FnOnce(FormErrors) -> Fut,
) -> Result<Response, AppError>
where
    Fut: Future<Output = Result<Response, AppError>>,
{
    match result {
        Ok(_) => Ok(see_other(&with_done(path, done))),
        Err(e) => again(form_errors(e)?).await,
    }
}

/// For a button without a form of its own: back to `path` with the confirmation `done`, or
/// with `not_changed` when the service refused.
pub fn changed_or_not<T>(
    result: Result<T, ServiceError>,
    path: &str,
    done: &str,
) -> Result<Response, AppError> {
    match result {
        Ok(_) => Ok(see_other(&with_done(path, done))),
        Err(e) => {
            form_errors(e)?;
            Ok(see_other(&with_done(path, "not_changed")))
        }
    }
}
