//! HTML rendering with maud. Views receive plain data and a [`PageCtx`]; they never touch
//! storage. maud escapes every interpolated value, so user text is inert by construction.

pub mod errors;
pub mod forms;
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
    /// The signed-in person, `None` for anonymous visitors.
    pub user: Option<UserNav>,
}

/// Who is signed in and where, for the navigation, tenant switcher and sign-out button.
#[derive(Debug, Clone, Default)]
pub struct UserNav {
    pub name: String,
    pub email: String,
    pub operator: bool,
    /// The tenant the page belongs to, with the person's role there.
    pub tenant: Option<TenantNav>,
    /// Every tenant the person may switch to (slug, name), including the current one.
    pub tenants: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct TenantNav {
    pub slug: String,
    pub name: String,
    pub role: crate::domain::role::Role,
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
            user: None,
        }
    }
}
