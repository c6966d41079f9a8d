//! Multipart forms with attachments. Files stream straight into the blob store; the
//! per-file and per-request limits are enforced on the bytes actually received, whatever
//! Content-Length claims, and a refused upload leaves no file behind.

use std::collections::HashMap;

use poem::web::Multipart;
use tokio_util::io::ReaderStream;

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

/// Reads a whole multipart form. On any error the blobs stored so far by this request
/// are handed back through `written` so the caller can drop the ones nothing references,
/// and the text fields read so far through `fields`, so the form keeps what was typed.
pub async fn read_form(
    mut form: Multipart,
    blobs: &BlobStore,
    limits: UploadLimits,
    written: &mut Vec<[u8; 32]>,
    fields: &mut HashMap<String, String>,
) -> Result<Vec<Attachment>, UploadError> {
    let mut files = Vec::new();
    let mut text_bytes = 0usize;
    let mut total: u64 = 0;
    let mut parts = 0usize;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| UploadError::Malformed(e.to_string()))?
    {
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
                let stream = ReaderStream::new(field.into_async_read());
                let stored = match blobs.ingest(stream, limit).await {
                    Ok(s) => s,
                    Err(BlobError::TooLarge { .. }) if limit < limits.per_file => {
                        return Err(UploadError::RequestTooLarge(limits.per_request));
                    }
                    Err(BlobError::TooLarge { .. }) => {
                        return Err(UploadError::FileTooLarge(limits.per_file));
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
                use tokio::io::AsyncReadExt;
                // Read at most one byte past the budget, so an endless field cannot
                // exhaust memory before it is refused.
                let budget = MAX_TEXT_BYTES.saturating_sub(text_bytes) as u64 + 1;
                let mut raw = Vec::new();
                field
                    .into_async_read()
                    .take(budget)
                    .read_to_end(&mut raw)
                    .await
                    .map_err(|e| UploadError::Malformed(e.to_string()))?;
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
