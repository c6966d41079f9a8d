//! Multipart forms with attachments. Files stream straight into the blob store; the
//! per-file and per-request limits are enforced on the bytes actually received, whatever
//! Content-Length claims, and a refused upload leaves no file behind.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use poem::http::StatusCode;
use poem::{FromRequest, Request, RequestBody};

use crate::blobs::{BlobError, BlobStore, sanitize_filename};
use crate::domain::ticket::Attachment;

/// Limits for one request.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    pub per_file: u64,
    pub per_request: u64,
}

/// Text fields are small; a form with more text than this is not a person typing.
const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Parts per request: enough for a generous set of screenshots, far from a flood.
const MAX_PARTS: usize = 64;
pub const MAX_FILES: usize = 20;

#[derive(Debug)]
pub struct Upload {
    pub fields: HashMap<String, String>,
    pub files: Vec<Attachment>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// Why an upload was refused; each maps to a form message (`validation.<key>`).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("a file is larger than {0} bytes")]
    FileTooLarge(u64),
    #[error("the request is larger than {0} bytes")]
    RequestTooLarge(u64),
    #[error("too many files or form parts")]
    TooManyParts,
    #[error("malformed form: {0}")]
    Malformed(String),
    #[error("storage: {0}")]
    Storage(#[from] BlobError),
}

impl UploadError {
    pub fn message_key(&self) -> &'static str {
        match self {
            UploadError::FileTooLarge(_) => "file_too_large",
            UploadError::RequestTooLarge(_) => "request_too_large",
            UploadError::TooManyParts => "too_many_files",
            UploadError::Malformed(_) => "invalid_choice",
            UploadError::Storage(_) => "storage",
        }
    }
}

/// Room for part headers and boundaries on top of the request limit, so that a form whose
/// files just fit is not refused for its framing.
const FRAMING_ALLOWANCE: u64 = 1024 * 1024;

/// A multipart form whose reading is bounded by what this request may carry.
///
/// poem's own `Multipart` hands the body to multer without constraints, and multer keeps
/// pulling chunks into its buffer for as long as the client has them ready: a client
/// streaming fast enough was buffered without bound before any field limit could look at
/// the bytes. Here the body reaches multer one chunk per poll, so the field readers below
/// see (and refuse) every byte as it arrives, and multer's whole-stream limit stops the
/// request as a backstop.
pub struct LimitedMultipart(multer::Multipart<'static>);

impl<'a> FromRequest<'a> for LimitedMultipart {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let content_type = req
            .headers()
            .get(poem::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let boundary = multer::parse_boundary(content_type).map_err(|_| {
            poem::Error::from_string(
                "expected a multipart/form-data body",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            )
        })?;
        let request_limit = req
            .data::<crate::app::AppState>()
            .map(|state| state.config.upload_request_bytes)
            .unwrap_or(0);
        let constraints = multer::Constraints::new().size_limit(
            multer::SizeLimit::new().whole_stream(request_limit.saturating_add(FRAMING_ALLOWANCE)),
        );
        let stream = OneChunkPerPoll::new(body.take()?.into_bytes_stream());
        Ok(Self(multer::Multipart::with_constraints(
            stream,
            boundary,
            constraints,
        )))
    }
}

/// Yields after every chunk, so that a reader which loops "while ready" still returns
/// to its caller between chunks. The waker is signalled before the pause, so no
/// readiness is lost.
struct OneChunkPerPoll<S> {
    inner: S,
    paused: bool,
}

impl<S> OneChunkPerPoll<S> {
    fn new(inner: S) -> Self {
        Self {
            inner,
            paused: false,
        }
    }
}

impl<S> Stream for OneChunkPerPoll<S>
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
{
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.paused {
            self.paused = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let next = self.inner.poll_next_unpin(cx);
        if matches!(next, Poll::Ready(Some(Ok(_)))) {
            self.paused = true;
        }
        next
    }
}

fn multipart_error(e: multer::Error) -> UploadError {
    match e {
        multer::Error::StreamSizeExceeded { limit } => {
            UploadError::RequestTooLarge(limit.saturating_sub(FRAMING_ALLOWANCE))
        }
        other => UploadError::Malformed(other.to_string()),
    }
}

/// Reads a whole multipart form. On any error the blobs stored so far by this request
/// are handed back through `written` so the caller can drop the ones nothing references,
/// and the text fields read so far through `fields`, so the form keeps what was typed.
pub async fn read_form(
    form: LimitedMultipart,
    blobs: &BlobStore,
    limits: UploadLimits,
    written: &mut Vec<[u8; 32]>,
    fields: &mut HashMap<String, String>,
) -> Result<Vec<Attachment>, UploadError> {
    let mut files = Vec::new();
    let mut text_bytes = 0usize;
    let mut total: u64 = 0;
    let mut parts = 0usize;
    let mut form = form.0;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(UploadError::TooManyParts);
        }
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            // An untouched file picker still sends a nameless, empty part: nothing to store.
            Some(file_name) if file_name.is_empty() => continue,
            Some(file_name) => {
                let remaining = limits.per_request.saturating_sub(total);
                let limit = limits.per_file.min(remaining);
                // The multipart error travels inside the io::Error, so a whole-stream
                // refusal is still told apart from a broken connection below.
                let stream = field.map_err(std::io::Error::other);
                let stored = match blobs.ingest(stream, limit).await {
                    Ok(s) => s,
                    Err(BlobError::TooLarge { .. }) if limit < limits.per_file => {
                        return Err(UploadError::RequestTooLarge(limits.per_request));
                    }
                    Err(BlobError::TooLarge { .. }) => {
                        return Err(UploadError::FileTooLarge(limits.per_file));
                    }
                    Err(BlobError::Stream(e)) => {
                        return Err(match e.downcast::<multer::Error>() {
                            Ok(multipart) => multipart_error(multipart),
                            Err(other) => UploadError::Malformed(other.to_string()),
                        });
                    }
                    Err(e) => return Err(e.into()),
                };
                total += stored.size;
                written.push(stored.hash);
                if files.len() >= MAX_FILES {
                    return Err(UploadError::TooManyParts);
                }
                files.push(Attachment {
                    hash: stored.hash,
                    name: sanitize_filename(&file_name),
                    mime: stored.mime,
                    size: stored.size,
                });
            }
            None => {
                // Stop one chunk past the budget, so an endless field cannot exhaust
                // memory before it is refused.
                let budget = MAX_TEXT_BYTES.saturating_sub(text_bytes);
                let mut raw = Vec::new();
                let mut field = field;
                while let Some(chunk) = field.next().await {
                    raw.extend_from_slice(&chunk.map_err(multipart_error)?);
                    if raw.len() > budget {
                        return Err(UploadError::RequestTooLarge(limits.per_request));
                    }
                }
                let text = String::from_utf8(raw)
                    .map_err(|_| UploadError::Malformed("a text field is not UTF-8".to_owned()))?;
                text_bytes += text.len();
                total += text.len() as u64;
                if text_bytes > MAX_TEXT_BYTES || total > limits.per_request {
                    return Err(UploadError::RequestTooLarge(limits.per_request));
                }
                fields.insert(name, text);
            }
        }
    }
    Ok(files)
}
