//! The translation catalog: every string a user sees is looked up here by key.
//!
//! The catalogs are flat JSON files in `assets/i18n/`, compiled in so the front end needs no extra
//! request and a missing key is caught by a test rather than by a user.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A language the user interface is complete in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Fr,
}

impl Language {
    /// Every supported language.
    pub const ALL: [Language; 2] = [Language::En, Language::Fr];

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }

    /// The language's own name, as shown in the language picker.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::En => "English",
            Language::Fr => "Français",
        }
    }

    /// Parses an ISO 639-1 code or a browser locale such as `fr-FR`.
    pub fn from_code(code: &str) -> Option<Language> {
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        Language::ALL
            .into_iter()
            .find(|language| language.code().eq_ignore_ascii_case(primary))
    }

    fn source(self) -> &'static str {
        match self {
            Language::En => include_str!("../../assets/i18n/en.json"),
            Language::Fr => include_str!("../../assets/i18n/fr.json"),
        }
    }
}

/// The strings of one language.
#[derive(Debug, Clone)]
pub struct Translations {
    language: Language,
    strings: HashMap<String, String>,
}

impl Translations {
    /// Loads the compiled-in catalog of `language`.
    pub fn load(language: Language) -> Translations {
        // The catalogs are checked by the tests below, so a parse failure here is a build defect;
        // an empty catalog still shows the keys rather than crashing the page.
        let strings = serde_json::from_str(language.source()).unwrap_or_default();
        Translations { language, strings }
    }

    /// The language of this catalog.
    pub fn language(&self) -> Language {
        self.language
    }

    /// The string for `key`, or the key itself when missing (visible, never blank).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.strings.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The string for `key` with each `{name}` replaced by its value.
    pub fn format(&self, key: &str, arguments: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in arguments {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Whether the catalog has `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.strings.contains_key(key)
    }

    /// Every key of the catalog.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.strings.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::quantity::{Commodity, Quantity};
    use crate::validation::VALIDATION_CODES;

    #[test]
    fn every_catalog_parses() {
        for language in Language::ALL {
            let parsed: Result<HashMap<String, String>, _> =
                serde_json::from_str(language.source());
            assert!(parsed.is_ok(), "{language:?}: {parsed:?}");
        }
    }

    #[test]
    fn every_language_has_every_key() {
        let keys = |language| -> BTreeSet<String> {
            Translations::load(language)
                .keys()
                .map(str::to_owned)
                .collect()
        };
        let english = keys(Language::En);
        for language in Language::ALL {
            let other = keys(language);
            let missing: Vec<_> = english.difference(&other).collect();
            let extra: Vec<_> = other.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{language:?} missing {missing:?} extra {extra:?}"
            );
        }
    }

    #[test]
    fn no_translation_is_blank() {
        for language in Language::ALL {
            let translations = Translations::load(language);
            for key in translations.keys() {
                assert!(
                    !translations.get(key).trim().is_empty(),
                    "{language:?} {key}"
                );
            }
        }
    }

    #[test]
    fn domain_keys_are_translated() {
        let english = Translations::load(Language::En);
        let mut keys: Vec<&str> = VALIDATION_CODES.to_vec();
        keys.extend(crate::config_rules::CONFIG_ERROR_CODES);
        keys.extend(crate::installation::INSTALLATION_ERROR_CODES);
        keys.extend(crate::consumption::CONSUMPTION_ERROR_CODES);
        keys.extend(crate::users::USER_ERROR_CODES);
        keys.extend(crate::services::SERVICE_ERROR_CODES);
        keys.extend(crate::Page::ALL.iter().map(|page| page.label_key()));
        keys.extend(crate::Role::ALL.iter().map(|role| role.label_key()));
        keys.extend(Quantity::ALL.iter().map(|q| q.label_key()));
        keys.extend(
            [
                Commodity::Electricity,
                Commodity::Water,
                Commodity::Gas,
                Commodity::Heat,
            ]
            .iter()
            .map(|c| c.label_key()),
        );
        for key in keys {
            assert!(english.contains(key), "missing {key}");
        }
    }

    #[test]
    fn languages_parse_from_browser_locales() {
        assert_eq!(Language::from_code("fr-FR"), Some(Language::Fr));
        assert_eq!(Language::from_code("EN"), Some(Language::En));
        assert_eq!(Language::from_code("de"), None);
    }

    #[test]
    fn arguments_are_substituted() {
        let english = Translations::load(Language::En);
        assert_eq!(english.format("missing {x}", &[("x", "1")]), "missing 1");
    }
}
