//! HTML rendering with maud. Views receive plain data and a [`PageCtx`]; they never touch
//! storage. maud escapes every interpolated value, so user text is inert by construction.

pub mod errors;
pub mod home;
pub mod layout;

use std::sync::Arc;

use crate::domain::lang::Lang;
use crate::i18n::I18n;
use crate::web::AssetCatalog;

/// What every page needs to render its frame: language, texts, asset URLs and the
/// request's CSRF token for forms.
#[derive(Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub i18n: Arc<I18n>,
    pub assets: Arc<AssetCatalog>,
    pub csrf_token: String,
    /// Path and query of the current request, used as the return target of forms.
    pub current_path: String,
    pub version: &'static str,
    /// Whether the server offers its generated CA certificate at /ca.pem.
    pub ca_available: bool,
    pub request_id: String,
}

impl PageCtx {
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.i18n.t(self.lang, key)
    }

    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.i18n.tf(self.lang, key, args)
    }

    pub fn asset(&self, path: &str) -> String {
        self.assets.url(path)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn ctx(lang: Lang) -> PageCtx {
        PageCtx {
            lang,
            i18n: Arc::new(I18n::load().unwrap()),
            assets: Arc::new(AssetCatalog::load()),
            csrf_token: "test-token".to_owned(),
            current_path: "/".to_owned(),
            version: "0.0.0-test",
            ca_available: true,
            request_id: "req-1".to_owned(),
        }
    }
}
