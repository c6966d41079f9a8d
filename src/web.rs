//! Embedded front-end files (`web/`), served under content-hashed URLs so browsers may
//! cache them forever: a changed file gets a new URL, never a stale cache hit.

use std::borrow::Cow;
use std::collections::HashMap;

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "web/"]
#[exclude = "locales/*"]
#[exclude = "*.md"]
struct WebFiles;

#[derive(RustEmbed)]
#[folder = "web/locales/"]
pub(crate) struct LocaleFiles;

/// One embedded file, ready to serve.
#[derive(Debug, Clone)]
pub struct Asset {
    pub body: Cow<'static, [u8]>,
    pub mime: String,
    /// First 16 hex digits of the SHA-256 of the content: the URL segment and the ETag.
    pub hash: String,
}

/// Every embedded asset by its path below `web/`, computed once at start.
#[derive(Debug, Clone, Default)]
pub struct AssetCatalog {
    by_path: HashMap<String, Asset>,
}

/// Text assets are UTF-8; saying so keeps a browser from guessing the encoding of CSS and
/// JavaScript (and scanners from flagging the missing charset).
fn with_charset(mime: &str) -> String {
    match mime {
        "text/css" | "text/javascript" | "text/plain" | "image/svg+xml" => {
            format!("{mime}; charset=utf-8")
        }
        "application/javascript" => "text/javascript; charset=utf-8".to_owned(),
        other => other.to_owned(),
    }
}

impl AssetCatalog {
    pub fn load() -> AssetCatalog {
        let mut by_path = HashMap::new();
        for path in WebFiles::iter() {
            if let Some(file) = WebFiles::get(&path) {
                let hash = hex::encode(&file.metadata.sha256_hash()[..8]);
                let mime = with_charset(file.metadata.mimetype());
                by_path.insert(
                    path.to_string(),
                    Asset {
                        body: file.data,
                        mime,
                        hash,
                    },
                );
            }
        }
        AssetCatalog { by_path }
    }

    /// The cache-busting URL of an asset, e.g. `/static/3f2a…/css/app.css`. An unknown
    /// path still yields a URL (which answers 404) so a typo shows up in tests, not as a
    /// broken page layout at run time.
    pub fn url(&self, path: &str) -> String {
        match self.by_path.get(path) {
            Some(asset) => format!("/static/{}/{}", asset.hash, path),
            None => format!("/static/missing/{path}"),
        }
    }

    /// The asset for a request, only when the hash in the URL matches the current content;
    /// an old hash must not be answered with new content under an immutable cache header.
    pub fn get(&self, hash: &str, path: &str) -> Option<&Asset> {
        self.by_path.get(path).filter(|a| a.hash == hash)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.by_path.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stylesheet_is_embedded_with_a_hashed_url() {
        let catalog = AssetCatalog::load();
        let url = catalog.url("css/app.css");
        let hash = url.split('/').nth(2).unwrap();
        assert_eq!(hash.len(), 16);
        let asset = catalog.get(hash, "css/app.css").unwrap();
        assert_eq!(asset.mime, "text/css; charset=utf-8");
        assert!(catalog.get("0000000000000000", "css/app.css").is_none());
    }

    #[test]
    fn locales_are_not_served_as_assets() {
        let catalog = AssetCatalog::load();
        assert!(catalog.paths().all(|p| !p.starts_with("locales/")));
    }
}
