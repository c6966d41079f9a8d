//! The error answers of the JSON API: one problem body (RFC 9457 shape, served as
//! `application/problem+json`) for every status an operation can answer, declared in the
//! OpenAPI document so that clients and the document agree (docs/api.md).
//!
//! Handlers keep returning `poem::Error`s; wrapping them in [`Problem`] only tells the
//! document which statuses exist. The bodies are made in one place, [`response`], called by
//! the error-page middleware for every error under `/api/` that has no JSON body yet, and
//! by the field-error answer of the ticket API.

use poem::http::{StatusCode, header};
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::{ToJSON, Type};
use poem_openapi::{ApiResponse, Object};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// What went wrong, for a program and for the person reading its log.
#[derive(Debug, Object)]
pub struct ProblemOut {
    /// The HTTP status, repeated for clients that only keep the body.
    pub status: u16,
    /// The status's reason phrase, or "invalid input" for field errors.
    pub title: String,
    /// Which part of the request was wrong, when the server can say so safely.
    #[oai(skip_serializing_if_is_none)]
    pub detail: Option<String>,
    /// One entry per invalid field (422 only).
    #[oai(default, skip_serializing_if_is_empty)]
    pub errors: Vec<FieldProblemOut>,
}

#[derive(Debug, Object)]
pub struct FieldProblemOut {
    /// The request field, as named in the request schema.
    pub field: String,
    /// A stable message key, such as `required` or `invalid_choice`.
    pub message: String,
}

/// The problem answer for `status`.
pub fn response(
    status: StatusCode,
    detail: Option<String>,
    errors: Vec<FieldProblemOut>,
) -> poem::Response {
    let title = if errors.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        "invalid input".to_owned()
    };
    let body = ProblemOut {
        status: status.as_u16(),
        title,
        detail,
        errors,
    };
    poem::Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, CONTENT_TYPE)
        .body(body.to_json_string())
}

/// Any error of an API operation; see the module comment.
pub struct Problem(pub poem::Error);

impl From<poem::Error> for Problem {
    fn from(e: poem::Error) -> Self {
        Problem(e)
    }
}

impl From<crate::error::AppError> for Problem {
    fn from(e: crate::error::AppError) -> Self {
        Problem(e.into())
    }
}

impl From<Problem> for poem::Error {
    fn from(p: Problem) -> Self {
        p.0
    }
}

/// Every error status an API operation can answer, and why.
const STATUSES: &[(u16, &str)] = &[
    (
        400,
        "A parameter or the JSON body is malformed; `detail` says which.",
    ),
    (401, "No valid API token (`Authorization: Bearer sbt_…`)."),
    (403, "The token's account may not do this here."),
    (
        404,
        "No such tenant, ticket or file, or none the account may see.",
    ),
    (413, "The request body is larger than allowed."),
    (
        415,
        "The body is not of the content type the operation takes.",
    ),
    (
        422,
        "The input is well-formed but not acceptable; `errors` lists the fields.",
    ),
    (429, "Too many attempts; wait for `Retry-After` seconds."),
    (500, "The server failed; the log has the detail."),
    (
        503,
        "Temporarily unavailable (a restore, a storage problem); retry after `Retry-After`.",
    ),
    (507, "The server's disk is full."),
];

impl ApiResponse for Problem {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: STATUSES
                .iter()
                .map(|&(status, description)| MetaResponse {
                    description,
                    status: Some(status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: CONTENT_TYPE,
                        schema: ProblemOut::schema_ref(),
                    }],
                    headers: match status {
                        429 | 503 => vec![MetaHeader {
                            name: "Retry-After".to_owned(),
                            description: Some("Seconds to wait before trying again.".to_owned()),
                            required: false,
                            deprecated: false,
                            schema: u64::schema_ref(),
                        }],
                        401 => vec![MetaHeader {
                            name: "WWW-Authenticate".to_owned(),
                            description: Some("The scheme to authenticate with.".to_owned()),
                            required: false,
                            deprecated: false,
                            schema: String::schema_ref(),
                        }],
                        _ => Vec::new(),
                    },
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        ProblemOut::register(registry);
    }
}
