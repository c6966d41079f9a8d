//! German and English message catalogs (`web/locales/{de,en}.toml`), embedded in the
//! binary. Lookups never fail at run time: a missing key falls back to English, then to
//! the key itself, and a test keeps both catalogs complete.

use std::collections::HashMap;

use crate::domain::lang::Lang;
use crate::web::LocaleFiles;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("locale catalog {file} is missing from the build")]
    Missing { file: String },
    #[error("locale catalog {file}: {detail}")]
    Invalid { file: String, detail: String },
}

#[derive(Debug, Clone, Default)]
pub struct I18n {
    catalogs: HashMap<Lang, HashMap<String, String>>,
}

impl I18n {
    pub fn load() -> Result<I18n, CatalogError> {
        let mut catalogs = HashMap::new();
        for lang in Lang::ALL {
            let file = format!("{}.toml", lang.code());
            let data = LocaleFiles::get(&file)
                .ok_or_else(|| CatalogError::Missing { file: file.clone() })?;
            let text = std::str::from_utf8(&data.data).map_err(|e| CatalogError::Invalid {
                file: file.clone(),
                detail: e.to_string(),
            })?;
            let table: toml::Table = toml::from_str(text).map_err(|e| CatalogError::Invalid {
                file: file.clone(),
                detail: e.message().to_owned(),
            })?;
            let mut flat = HashMap::new();
            flatten("", &table, &mut flat).map_err(|detail| CatalogError::Invalid {
                file: file.clone(),
                detail,
            })?;
            catalogs.insert(lang, flat);
        }
        Ok(I18n { catalogs })
    }

    /// The text for `key` in `lang`.
    pub fn t<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        self.catalogs
            .get(&lang)
            .and_then(|c| c.get(key))
            .or_else(|| self.catalogs.get(&Lang::En).and_then(|c| c.get(key)))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn tf(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(lang, key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    pub fn keys(&self, lang: Lang) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .catalogs
            .get(&lang)
            .map(|c| c.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        keys
    }
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut HashMap<String, String>,
) -> Result<(), String> {
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(s) => {
                out.insert(full, s.clone());
            }
            toml::Value::Table(inner) => flatten(&full, inner, out)?,
            _ => return Err(format!("`{full}` must be a string")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_load_and_have_the_same_keys() {
        let i18n = I18n::load().unwrap();
        let de = i18n.keys(Lang::De);
        let en = i18n.keys(Lang::En);
        assert!(!en.is_empty());
        let only_de: Vec<_> = de.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !de.contains(k)).collect();
        assert!(
            only_de.is_empty() && only_en.is_empty(),
            "de only: {only_de:?}, en only: {only_en:?}"
        );
    }

    #[test]
    fn lookups_fall_back_and_fill_placeholders() {
        let i18n = I18n::load().unwrap();
        assert_eq!(i18n.t(Lang::De, "nav.home"), "Start");
        assert_eq!(i18n.t(Lang::En, "nav.home"), "Home");
        assert_eq!(i18n.t(Lang::De, "no.such.key"), "no.such.key");
        assert!(
            i18n.tf(Lang::En, "footer.version", &[("version", "9.9")])
                .contains("9.9")
        );
    }
}
