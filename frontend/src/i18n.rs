//! The current language and its translations, shared by every page through the context.
//!
//! The choice is kept in `localStorage` (`ews.language`); without one the browser's language is used.

use std::sync::Arc;

use leptos::prelude::*;
use shared::{Language, Translations, Unit, format_scaled};

const STORAGE_KEY: &str = "ews.language";

/// The language context. `Copy`, so closures can capture it freely.
#[derive(Clone, Copy)]
pub struct I18n {
    language: RwSignal<Language>,
    translations: Signal<Arc<Translations>>,
}

impl I18n {
    fn new() -> I18n {
        let language = RwSignal::new(initial_language());
        let english = Arc::new(Translations::load(Language::En));
        let french = Arc::new(Translations::load(Language::Fr));
        let translations = Signal::derive(move || match language.get() {
            Language::En => english.clone(),
            Language::Fr => french.clone(),
        });
        I18n {
            language,
            translations,
        }
    }

    /// The current language (tracked).
    pub fn language(&self) -> Language {
        self.language.get()
    }

    /// Switches the language and remembers the choice.
    pub fn set_language(&self, language: Language) {
        if let Some(storage) = local_storage() {
            // A full or disabled storage only loses the preference, never the page.
            let _ = storage.set_item(STORAGE_KEY, language.code());
        }
        self.language.set(language);
    }

    /// The string for `key` in the current language (tracked).
    pub fn t(&self, key: &str) -> String {
        self.translations.with(|t| t.get(key).to_owned())
    }

    /// The string for `key` with its `{name}` arguments replaced (tracked).
    pub fn format(&self, key: &str, arguments: &[(&str, &str)]) -> String {
        self.translations.with(|t| t.format(key, arguments))
    }

    /// The translation of an error `code`, or the server's `message` when the catalog lacks it.
    pub fn error(&self, code: &str, message: &str) -> String {
        self.translations.with(|t| {
            if t.contains(code) {
                t.get(code).to_owned()
            } else {
                message.to_owned()
            }
        })
    }

    /// A value in its base unit, scaled and written the way the current language writes numbers.
    pub fn value(&self, value: f64, unit: Unit) -> String {
        format_scaled(value, unit, self.language() == Language::Fr)
    }

    /// A plain number with the current language's decimal separator.
    pub fn number(&self, value: f64, decimals: usize) -> String {
        let text = format!("{value:.decimals$}");
        if self.language() == Language::Fr {
            text.replace('.', ",")
        } else {
            text
        }
    }

    /// The local time of a Unix millisecond timestamp, e.g. "14:05:09".
    pub fn time(&self, unix_ms: i64) -> String {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_ms as f64));
        String::from(date.to_locale_time_string(self.language().code()))
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn initial_language() -> Language {
    let stored = local_storage()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|code| Language::from_code(&code));
    let browser = || {
        web_sys::window()
            .and_then(|window| window.navigator().language())
            .and_then(|code| Language::from_code(&code))
    };
    stored.or_else(browser).unwrap_or_default()
}

/// Creates the language context; called once by the app's root.
pub fn provide_i18n() -> I18n {
    let i18n = I18n::new();
    provide_context(i18n);
    // Keep the document's language and title in step, for screen readers and the tab's name.
    Effect::new(move || {
        let language = i18n.language();
        let title = i18n.t("app.title");
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            if let Some(root) = document.document_element() {
                let _ = root.set_attribute("lang", language.code());
            }
            document.set_title(&title);
        }
    });
    i18n
}

/// The language context (created on the spot if the root did not provide one).
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(provide_i18n)
}
