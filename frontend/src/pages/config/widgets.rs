//! Small pieces of the configuration page: the ON/OFF switch, the delete confirmation, a test's
//! result and the message under a field.

use leptos::prelude::*;

use super::FormError;
use crate::api::TestReport;
use crate::i18n::{I18n, use_i18n};

/// What a test found, or why it could not run.
pub(super) type TestOutcome = Result<TestReport, FormError>;

/// The ON/OFF button of a gateway or a device (`role="switch"`, `data-enabled`).
#[component]
pub(super) fn OnOffSwitch(
    #[prop(into)] on: Signal<bool>,
    #[prop(into)] busy: Signal<bool>,
    test_id: &'static str,
    #[prop(into)] label: Signal<String>,
    on_toggle: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <button
            class=move || if on.get() { "switch switch--on" } else { "switch" }
            type="button"
            role="switch"
            aria-checked=move || on.get().to_string()
            aria-label=label
            data-testid=test_id
            data-enabled=move || on.get().to_string()
            disabled=move || busy.get()
            on:click=move |_| on_toggle.run(())
        >
            <span class="switch__track" aria-hidden="true">
                <span class="switch__thumb"></span>
            </span>
            <span class="switch__text">
                {move || i18n.t(if on.get() { "config.on" } else { "config.off" })}
            </span>
        </button>
    }
}

/// "Delete X?" with Erase and Cancel (§7.16.1.5: Delete, then Erase to confirm).
#[component]
pub(super) fn ConfirmDelete(
    #[prop(into)] text: Signal<String>,
    test_id: &'static str,
    #[prop(into)] busy: Signal<bool>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="confirm" role="alertdialog" aria-label=text>
            <p class="confirm__text">{text}</p>
            <div class="confirm__buttons">
                <button
                    class="button button--small button--danger-solid"
                    type="button"
                    data-testid=test_id
                    disabled=move || busy.get()
                    on:click=move |_| on_confirm.run(())
                >
                    {move || i18n.t("config.erase")}
                </button>
                <button
                    class="button button--small button--ghost"
                    type="button"
                    data-testid=format!("{test_id}-cancel")
                    on:click=move |_| on_cancel.run(())
                >
                    {move || i18n.t("config.cancel")}
                </button>
            </div>
        </div>
    }
}

/// A test's outcome: OK with the time and what was read, or what went wrong.
#[component]
pub(super) fn TestResultView(
    outcome: RwSignal<Option<TestOutcome>>,
    test_id: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        outcome.get().map(|outcome| match outcome {
            Ok(report) => report_view(i18n, report, test_id).into_any(),
            Err(error) => view! {
                <div
                    class="test-result test-result--failed"
                    role="status"
                    data-testid=test_id
                    data-ok="false"
                >
                    <strong>{move || i18n.t("config.test_failed")}</strong>
                    <span>{i18n.error(&error.code, &error.message)}</span>
                </div>
            }
            .into_any(),
        })
    }
}

fn report_view(i18n: I18n, report: TestReport, test_id: &'static str) -> impl IntoView {
    let ok = report.ok;
    let latency = report.latency_ms;
    let message = report.message.clone();
    let readings = report.readings.clone();
    view! {
        <div
            class=if ok { "test-result test-result--ok" } else { "test-result test-result--failed" }
            role="status"
            data-testid=test_id
            data-ok=ok.to_string()
        >
            <p class="test-result__head">
                <strong>
                    {move || i18n.t(if ok { "config.test_ok" } else { "config.test_failed" })}
                </strong>
                {latency
                    .map(|ms| {
                        view! {
                            <span class="test-result__latency">
                                {move || i18n.format("config.latency", &[("ms", &ms.to_string())])}
                            </span>
                        }
                    })}
            </p>
            <Show when={
                let message = message.clone();
                move || !message.is_empty()
            }>
                <p class="test-result__message">{message.clone()}</p>
            </Show>
            <Show when={
                let empty = readings.is_empty();
                move || !empty
            }>
                <dl class="readings test-result__readings">
                    {readings
                        .iter()
                        .map(|reading| {
                            let reading = *reading;
                            view! {
                                <div class="reading">
                                    <dt>{move || i18n.t(reading.quantity.label_key())}</dt>
                                    <dd>{move || i18n.value(reading.value, reading.quantity.unit())}</dd>
                                </div>
                            }
                        })
                        .collect_view()}
                </dl>
            </Show>
        </div>
    }
}

/// Whether `error` names `field`.
pub(super) fn names(error: RwSignal<Option<FormError>>, field: &str) -> bool {
    error.with(|error| {
        error
            .as_ref()
            .is_some_and(|error| error.field.as_deref() == Some(field))
    })
}

/// The message under one field (`data-testid="error-<field>"`, dots as dashes).
pub(super) fn field_message(
    i18n: I18n,
    error: RwSignal<Option<FormError>>,
    field: &'static str,
) -> impl IntoView {
    let test_id = format!("error-{}", field.replace('.', "-"));
    let message = move || {
        error.with(|error| {
            error
                .as_ref()
                .filter(|error| error.field.as_deref() == Some(field))
                .map(|error| i18n.error(&error.code, &error.message))
        })
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="field-error" role="alert" id=format!("{test_id}-message") data-testid=test_id.clone()>
                {message}
            </p>
        </Show>
    }
}

/// The form's own alert: an error naming none of `fields`.
pub(super) fn form_message(
    i18n: I18n,
    error: RwSignal<Option<FormError>>,
    fields: &'static [&'static str],
    test_id: &'static str,
) -> impl IntoView {
    let text = super::super::form_error_text(i18n, error, fields);
    view! {
        <Show when=move || text().is_some()>
            <p class="alert alert--error" role="alert" data-testid=test_id>
                {text}
            </p>
        </Show>
    }
}

/// A number typed the French or the English way.
pub(super) fn parse_number(text: &str) -> Option<f64> {
    text.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

/// A number as typed back into a field: no float noise, the language's decimal separator.
pub(super) fn plain_number(i18n: I18n, value: f64) -> String {
    let text = format!("{value:.9}");
    let text = text.trim_end_matches('0').trim_end_matches('.').to_owned();
    if i18n.language() == shared::Language::Fr {
        text.replace('.', ",")
    } else {
        text
    }
}
