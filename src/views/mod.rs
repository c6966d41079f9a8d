//! HTML rendering with maud. Views receive plain data and a [`PageCtx`]; they never touch
//! storage. maud escapes every interpolated value, so user text is inert by construction.

pub mod account;
pub mod admin;
pub mod auth;
pub mod backups;
pub mod data;
pub mod errors;
pub mod forms;
pub mod home;
pub mod layout;
pub mod markdown;
pub mod parts;
pub mod password_reset;
pub mod search;
pub mod settings;
pub mod table;
pub mod tenant;
pub mod tickets;
pub mod time;

pub use data::{
    AuditRow, CreateUserForm, InvitationForm, InviteForm, OnlineRow, PriorityForm, ProfileForm,
    SettingsForm, SetupForm, TenantForm, TenantRow, TokenForm, TopicForm, UserRow,
};

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
    /// For the operator, on every page: the message key of a storage problem that needs
    /// them (a damaged database, a full disk).
    pub storage_alert: Option<&'static str>,
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
    use crate::domain::role::Role;

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
            storage_alert: None,
        }
    }

    /// A signed-in person; with a role, they are in tenant "acme" (and "beta").
    pub fn user_ctx(lang: Lang, role: Option<Role>) -> PageCtx {
        let mut c = ctx(lang);
        c.user = Some(UserNav {
            name: "Dana <Admin>".to_owned(),
            email: "dana@example.org".to_owned(),
            operator: false,
            tenant: role.map(|role| TenantNav {
                slug: "acme".to_owned(),
                name: "Acme".to_owned(),
                role,
            }),
            tenants: vec![
                ("acme".to_owned(), "Acme".to_owned()),
                ("beta".to_owned(), "Beta".to_owned()),
            ],
        });
        c
    }

    /// Every visible input, select and textarea has an id with a `<label for>`, and no id
    /// appears twice.
    pub fn assert_labelled(html: &str) {
        let mut seen = std::collections::HashSet::new();
        for piece in html.split(" id=\"").skip(1) {
            let id = piece.split('"').next().unwrap();
            assert!(seen.insert(id.to_owned()), "duplicate id {id}");
        }
        for tag in ["<input", "<select", "<textarea"] {
            for (pos, _) in html.match_indices(tag) {
                let rest = &html[pos..];
                let end = rest.find('>').unwrap();
                let element = &rest[..end];
                if element.contains("type=\"hidden\"") {
                    continue;
                }
                let id = element
                    .split(" id=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap_or_else(|| panic!("no id: {element}"));
                assert!(
                    html.contains(&format!("<label for=\"{id}\""))
                        || html.contains(&format!("for=\"{id}\">")),
                    "no label for {id}"
                );
            }
        }
    }
}

#[cfg(test)]
mod catalog_tests {
    use super::test_support::ctx;
    use crate::domain::lang::Lang;
    use crate::domain::role::Role;

    const SOURCES: &[(&str, &str)] = &[
        ("layout.rs", include_str!("layout.rs")),
        ("forms.rs", include_str!("forms.rs")),
        ("parts.rs", include_str!("parts.rs")),
        ("time.rs", include_str!("time.rs")),
        ("auth.rs", include_str!("auth.rs")),
        ("account.rs", include_str!("account.rs")),
        ("tenant.rs", include_str!("tenant.rs")),
        ("admin.rs", include_str!("admin.rs")),
        ("settings/mod.rs", include_str!("settings/mod.rs")),
        ("settings/users.rs", include_str!("settings/users.rs")),
        ("settings/catalog.rs", include_str!("settings/catalog.rs")),
        ("settings/audit.rs", include_str!("settings/audit.rs")),
        ("home.rs", include_str!("home.rs")),
        ("errors.rs", include_str!("errors.rs")),
    ];

    /// Every quoted `"area.key"` literal in the views that looks like a catalog key.
    fn literal_keys() -> Vec<(&'static str, String)> {
        let mut keys = Vec::new();
        for (file, source) in SOURCES {
            let code = source.split("#[cfg(test)]").next().unwrap_or(source);
            for (i, piece) in code.split('"').enumerate() {
                let is_key = i % 2 == 1
                    && piece.contains('.')
                    && !piece.contains(' ')
                    && !piece.starts_with('.')
                    && !piece.ends_with('.')
                    && !piece.contains('/')
                    && !piece.contains('{')
                    && piece
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_');
                if is_key {
                    keys.push((*file, piece.to_owned()));
                }
            }
        }
        keys
    }

    #[test]
    fn every_key_the_views_use_exists() {
        let mut dynamic: Vec<String> = Vec::new();
        for key in [
            "required",
            "too_long",
            "control_chars",
            "invisible_chars",
            "invalid_email",
            "invalid_slug",
            "password_short",
            "password_common",
            "password_weak",
            "invalid_phone",
            "invalid_colour",
            "taken_email",
            "customer_exists",
            "email_elsewhere",
            "taken_slug",
            "password_mismatch",
            "wrong_password",
            "invalid_number",
            "invalid_choice",
            "expired_link",
        ] {
            dynamic.push(format!("validation.{key}"));
        }
        for field in [
            "email",
            "password",
            "password_confirm",
            "name",
            "tenant_name",
            "tenant_slug",
            "current_password",
            "new_password",
            "phone",
            "lang",
            "expires",
            "role",
            "initial_password",
            "q",
            "colour",
            "rank",
            "response_target_minutes",
            "description",
            "active",
            "slug",
            "licence_limit",
            "instance_name",
            "session_idle_minutes",
            "session_absolute_hours",
            "kind",
        ] {
            dynamic.push(format!("field.{field}"));
        }
        for role in Role::ALL {
            dynamic.push(format!("role.{}", role.code()));
        }
        for status in [
            "active",
            "inactive",
            "enabled",
            "disabled",
            "invited",
            "suspended",
            "revoked",
            "expired",
            "deleted",
            "online",
            "offline",
        ] {
            dynamic.push(format!("status.{status}"));
        }
        for key in [
            "settings.nav_topics",
            "settings.nav_users",
            "settings.nav_priorities",
            "settings.nav_audit",
            "settings.nav_online",
            "account.nav_profile",
        ] {
            dynamic.push(format!("{key}_text"));
        }
        for dir in ["ago", "in"] {
            for unit in ["minute", "hour", "day", "month", "year"] {
                dynamic.push(format!("time.{dir}.{unit}"));
                dynamic.push(format!("time.{dir}.{unit}s"));
            }
        }
        assert!(
            literal_keys().len() > 150,
            "the key scan finds the views' keys"
        );
        for lang in Lang::ALL {
            let c = ctx(lang);
            for (file, key) in literal_keys() {
                if key.ends_with(".rs") || key.starts_with("css.") || key.starts_with("js.") {
                    continue;
                }
                assert_ne!(c.t(&key), key, "{lang}: {key} used in {file} is missing");
            }
            for key in &dynamic {
                assert_ne!(c.t(key), key.as_str(), "{lang}: {key} is missing");
            }
        }
    }
}
