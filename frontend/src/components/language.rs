use leptos::prelude::*;
use shared::Language;

use crate::i18n::use_i18n;

/// A select of the supported languages; the choice applies at once and is remembered.
#[component]
pub fn LanguagePicker(
    /// Show the "Language" label next to the select (forms) or only to screen readers (header).
    #[prop(optional)]
    visible_label: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let label_class = if visible_label {
        "language-picker__label"
    } else {
        "visually-hidden"
    };
    view! {
        <label class="language-picker">
            <span class=label_class>{move || i18n.t("language.label")}</span>
            <select
                data-testid="language-select"
                on:change=move |event| {
                    if let Some(language) = Language::from_code(&event_target_value(&event)) {
                        i18n.set_language(language);
                    }
                }
            >
                {Language::ALL
                    .into_iter()
                    .map(|language| {
                        view! {
                            <option
                                value=language.code()
                                selected=move || i18n.language() == language
                            >
                                {language.native_name()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
