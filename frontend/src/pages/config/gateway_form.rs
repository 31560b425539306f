//! The settings of one gateway: a new Modbus TCP gateway, or an existing gateway of either kind.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::{
    BAUD_RATES, GatewayConfig, GatewayLink, HanProtocol, Parity, min_frame_gap_ms, validate_gateway,
};

use super::widgets::{field_message, form_message, names};
use super::{ConfigContext, Editor, FormError};
use crate::api;
use crate::i18n::use_i18n;

const FIELDS: &[&str] = &[
    "name",
    "description",
    "host",
    "port",
    "timeout_ms",
    "frame_gap_ms",
    "serial_port",
    "baud",
    "parity",
    "stop_bits",
    "protocol",
    "data_bits",
];

fn protocol_from(code: &str) -> HanProtocol {
    HanProtocol::ALL
        .into_iter()
        .find(|protocol| protocol.as_str() == code)
        .unwrap_or_default()
}

fn parity_code(parity: Parity) -> &'static str {
    match parity {
        Parity::None => "none",
        Parity::Even => "even",
        Parity::Odd => "odd",
    }
}

fn parity_from(code: &str) -> Parity {
    match code {
        "none" => Parity::None,
        "odd" => Parity::Odd,
        _ => Parity::Even,
    }
}

fn invalid(field: &'static str, code: &'static str, message: &'static str) -> FormError {
    FormError {
        field: Some(field.to_owned()),
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// The gateway form (`data-testid="gateway-form"`). `original` is `None` for a new gateway: a
/// Modbus TCP gateway, or a smart meter's HAN/P1 port when `han` is set.
#[component]
pub(super) fn GatewayForm(
    ctx: ConfigContext,
    original: Option<GatewayConfig>,
    #[prop(optional)] han: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let base = original.clone().unwrap_or_else(|| GatewayConfig {
        id: 0,
        name: String::new(),
        description: String::new(),
        link: if han {
            HanProtocol::DlmsHdlc.default_link(String::new())
        } else {
            GatewayLink::ModbusTcp {
                host: String::new(),
                port: 502,
                timeout_ms: 300,
            }
        },
        enabled: true,
    });
    let editing = original.is_some();
    let local = matches!(base.link, GatewayLink::Local { .. });
    let han = matches!(base.link, GatewayLink::Han { .. });
    let protocol = RwSignal::new(String::new());
    let data_bits = RwSignal::new(String::new());

    let name = RwSignal::new(base.name.clone());
    let description = RwSignal::new(base.description.clone());
    let host = RwSignal::new(String::new());
    let port = RwSignal::new(String::new());
    let timeout = RwSignal::new(String::new());
    let serial_port = RwSignal::new(String::new());
    let baud = RwSignal::new(String::new());
    let parity = RwSignal::new(String::new());
    let stop_bits = RwSignal::new(String::new());
    // Empty: 3.5 characters at the chosen speed.
    let frame_gap = RwSignal::new(String::new());
    match &base.link {
        GatewayLink::Local {
            serial_port: path,
            baud: speed,
            parity: bits_parity,
            stop_bits: stop,
            timeout_ms,
            frame_gap_ms,
        } => {
            frame_gap.set(frame_gap_ms.map(|ms| ms.to_string()).unwrap_or_default());
            serial_port.set(path.clone());
            baud.set(speed.to_string());
            parity.set(parity_code(*bits_parity).to_owned());
            stop_bits.set(stop.to_string());
            timeout.set(timeout_ms.to_string());
        }
        GatewayLink::ModbusTcp {
            host: address,
            port: tcp_port,
            timeout_ms,
        } => {
            host.set(address.clone());
            port.set(tcp_port.to_string());
            timeout.set(timeout_ms.to_string());
        }
        GatewayLink::Han {
            serial_port: path,
            protocol: kind,
            baud: speed,
            parity: bits_parity,
            data_bits: bits,
            stop_bits: stop,
        } => {
            serial_port.set(path.clone());
            protocol.set(kind.as_str().to_owned());
            baud.set(speed.to_string());
            parity.set(parity_code(*bits_parity).to_owned());
            data_bits.set(bits.to_string());
            stop_bits.set(stop.to_string());
            // Not used by a HAN port, but keeps the shared timeout check below quiet.
            timeout.set("300".to_owned());
        }
    }
    // A new protocol brings its own line settings (2400 8E1 for HAN, 115200 8N1 for P1).
    let choose_protocol = move |code: String| {
        let chosen = protocol_from(&code);
        protocol.set(code);
        baud.set(chosen.default_baud().to_string());
        parity.set(parity_code(chosen.default_parity()).to_owned());
        data_bits.set("8".to_owned());
        stop_bits.set("1".to_owned());
    };
    let error = RwSignal::new(None::<FormError>);
    let pending = RwSignal::new(false);
    let base = StoredValue::new(base);

    let build = move || -> Result<GatewayConfig, FormError> {
        let mut gateway = base.get_value();
        gateway.name = name.get_untracked().trim().to_owned();
        gateway.description = description.get_untracked().trim().to_owned();
        let timeout_ms = timeout.get_untracked().trim().parse::<u64>().map_err(|_| {
            invalid(
                "timeout_ms",
                "error.timeout_invalid",
                "The timeout is between 20 and 10000 ms.",
            )
        })?;
        gateway.link = if han {
            GatewayLink::Han {
                serial_port: serial_port.get_untracked().trim().to_owned(),
                protocol: protocol_from(&protocol.get_untracked()),
                baud: baud.get_untracked().parse().map_err(|_| {
                    invalid(
                        "baud",
                        "error.baud_invalid",
                        "Choose one of the offered speeds.",
                    )
                })?,
                parity: parity_from(&parity.get_untracked()),
                data_bits: data_bits.get_untracked().parse().map_err(|_| {
                    invalid(
                        "data_bits",
                        "error.data_bits_invalid",
                        "Data bits are 7 or 8.",
                    )
                })?,
                stop_bits: stop_bits.get_untracked().parse().map_err(|_| {
                    invalid(
                        "stop_bits",
                        "error.stop_bits_invalid",
                        "Stop bits are 1 or 2.",
                    )
                })?,
            }
        } else if local {
            GatewayLink::Local {
                serial_port: serial_port.get_untracked().trim().to_owned(),
                baud: baud.get_untracked().parse().map_err(|_| {
                    invalid(
                        "baud",
                        "error.baud_invalid",
                        "Choose one of the offered speeds.",
                    )
                })?,
                parity: parity_from(&parity.get_untracked()),
                stop_bits: stop_bits.get_untracked().parse().map_err(|_| {
                    invalid(
                        "stop_bits",
                        "error.stop_bits_invalid",
                        "Stop bits are 1 or 2.",
                    )
                })?,
                timeout_ms,
                frame_gap_ms: match frame_gap.get_untracked().trim() {
                    "" => None,
                    text => Some(text.parse().map_err(|_| {
                        invalid(
                            "frame_gap_ms",
                            "error.frame_gap_invalid",
                            "The gap between frames is at least 3.5 characters at the baud rate and at most 1000 ms.",
                        )
                    })?),
                },
            }
        } else {
            GatewayLink::ModbusTcp {
                host: host.get_untracked().trim().to_owned(),
                port: port.get_untracked().trim().parse().map_err(|_| {
                    invalid(
                        "port",
                        "error.port_invalid",
                        "The port is between 1 and 65535.",
                    )
                })?,
                timeout_ms,
            }
        };
        validate_gateway(&gateway, &ctx.site_untracked()).map_err(FormError::from_field)?;
        Ok(gateway)
    };

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let gateway = match build() {
            Ok(gateway) => gateway,
            Err(invalid) => {
                error.set(Some(invalid));
                return;
            }
        };
        error.set(None);
        pending.set(true);
        spawn_local(async move {
            let outcome = if editing {
                api::update_gateway(&gateway).await
            } else {
                api::create_gateway(&gateway).await
            };
            pending.set(false);
            match outcome {
                Ok(_) => {
                    ctx.editor.set(Editor::Closed);
                    ctx.reload();
                }
                Err(failure) => ctx.failed(failure, |problem| error.set(Some(problem))),
            }
        });
    };
    let is_invalid = move |field: &'static str| names(error, field).to_string();
    let title = if editing {
        "config.gateway_settings"
    } else if han {
        "config.han_gateway_new"
    } else {
        "config.gateway_new"
    };
    let form_id = if editing {
        format!("gateway-{}", base.with_value(|g| g.id))
    } else {
        "gateway-new".to_owned()
    };
    let form_id = StoredValue::new(form_id);
    let id = move |field: &str| form_id.with_value(|form| format!("{form}-{field}"));

    view! {
        <form class="card config-form" data-testid="gateway-form" on:submit=submit novalidate>
            <h3 class="config-form__title">{move || i18n.t(title)}</h3>
            <div class="form-grid">
                <div class="field">
                    <label for=id("name")>{move || i18n.t("config.name")}</label>
                    <input
                        id=id("name")
                        data-testid="gateway-name"
                        type="text"
                        maxlength="64"
                        autocomplete="off"
                        placeholder=move || {
                            if local { String::new() } else { i18n.t("config.gateway_name_placeholder") }
                        }
                        aria-invalid=move || is_invalid("name")
                        bind:value=name
                    />
                    {field_message(i18n, error, "name")}
                </div>
                <div class="field">
                    <label for=id("description")>{move || i18n.t("config.description")}</label>
                    <input
                        id=id("description")
                        data-testid="gateway-description"
                        type="text"
                        maxlength="256"
                        autocomplete="off"
                        aria-invalid=move || is_invalid("description")
                        bind:value=description
                    />
                    {field_message(i18n, error, "description")}
                </div>
                {if local {
                    view! {
                        <div class="field">
                            <label for=id("serial")>{move || i18n.t("config.serial_port")}</label>
                            <input
                                id=id("serial")
                                data-testid="gateway-serial-port"
                                type="text"
                                autocomplete="off"
                                spellcheck="false"
                                aria-invalid=move || is_invalid("serial_port")
                                bind:value=serial_port
                            />
                            {field_message(i18n, error, "serial_port")}
                        </div>
                        <div class="field">
                            <label for=id("baud")>{move || i18n.t("config.baud")}</label>
                            <select
                                id=id("baud")
                                data-testid="gateway-baud"
                                aria-invalid=move || is_invalid("baud")
                                on:change=move |event| baud.set(event_target_value(&event))
                            >
                                {BAUD_RATES
                                    .into_iter()
                                    .map(|rate| {
                                        let value = rate.to_string();
                                        let current = value.clone();
                                        view! {
                                            <option
                                                value=value.clone()
                                                prop:selected=move || baud.get() == current
                                            >
                                                {value.clone()}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            {field_message(i18n, error, "baud")}
                        </div>
                        <div class="field">
                            <label for=id("parity")>{move || i18n.t("config.parity")}</label>
                            <select
                                id=id("parity")
                                data-testid="gateway-parity"
                                on:change=move |event| parity.set(event_target_value(&event))
                            >
                                {["none", "even", "odd"]
                                    .into_iter()
                                    .map(|code| {
                                        view! {
                                            <option
                                                value=code
                                                prop:selected=move || parity.get() == code
                                            >
                                                {move || i18n.t(&format!("config.parity_{code}"))}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            {field_message(i18n, error, "parity")}
                        </div>
                        <div class="field">
                            <label for=id("stop")>{move || i18n.t("config.stop_bits")}</label>
                            <select
                                id=id("stop")
                                data-testid="gateway-stop-bits"
                                aria-invalid=move || is_invalid("stop_bits")
                                on:change=move |event| stop_bits.set(event_target_value(&event))
                            >
                                {["1", "2"]
                                    .into_iter()
                                    .map(|bits| {
                                        view! {
                                            <option
                                                value=bits
                                                prop:selected=move || stop_bits.get() == bits
                                            >
                                                {bits}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            {field_message(i18n, error, "stop_bits")}
                        </div>
                        <div class="field">
                            <label for=id("frame-gap")>{move || i18n.t("config.frame_gap")}</label>
                            <input
                                id=id("frame-gap")
                                data-testid="gateway-frame-gap"
                                type="text"
                                inputmode="numeric"
                                autocomplete="off"
                                placeholder=move || {
                                    let automatic = baud
                                        .get()
                                        .parse::<u32>()
                                        .map(min_frame_gap_ms)
                                        .unwrap_or_default();
                                    i18n.format(
                                        "config.frame_gap_auto",
                                        &[("ms", &automatic.to_string())],
                                    )
                                }
                                aria-invalid=move || is_invalid("frame_gap_ms")
                                bind:value=frame_gap
                            />
                            {field_message(i18n, error, "frame_gap_ms")}
                        </div>
                    }
                        .into_any()
                } else if han {
                    view! {
                        <p class="muted field--wide" data-testid="gateway-han-note">
                            {move || i18n.t("config.han_note")}
                        </p>
                        <div class="field">
                            <label for=id("protocol")>{move || i18n.t("config.protocol")}</label>
                            <select
                                id=id("protocol")
                                data-testid="gateway-protocol"
                                aria-invalid=move || is_invalid("protocol")
                                on:change=move |event| choose_protocol(event_target_value(&event))
                            >
                                {HanProtocol::ALL
                                    .into_iter()
                                    .map(|choice| {
                                        let code = choice.as_str();
                                        view! {
                                            <option
                                                value=code
                                                prop:selected=move || protocol.get() == code
                                            >
                                                {move || i18n.t(&format!("config.protocol_{code}"))}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            {field_message(i18n, error, "protocol")}
                        </div>
                        <div class="field">
                            <label for=id("serial")>{move || i18n.t("config.serial_port")}</label>
                            <input
                                id=id("serial")
                                data-testid="gateway-serial-port"
                                type="text"
                                autocomplete="off"
                                autocapitalize="none"
                                spellcheck="false"
                                placeholder=move || i18n.t("config.han_port_placeholder")
                                aria-invalid=move || is_invalid("serial_port")
                                bind:value=serial_port
                            />
                            {field_message(i18n, error, "serial_port")}
                        </div>
                        <div class="field">
                            <label for=id("baud")>{move || i18n.t("config.baud")}</label>
                            <select
                                id=id("baud")
                                data-testid="gateway-baud"
                                aria-invalid=move || is_invalid("baud")
                                on:change=move |event| baud.set(event_target_value(&event))
                            >
                                {BAUD_RATES
                                    .into_iter()
                                    .map(|rate| {
                                        let value = rate.to_string();
                                        let current = value.clone();
                                        view! {
                                            <option
                                                value=value.clone()
                                                prop:selected=move || baud.get() == current
                                            >
                                                {value.clone()}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            {field_message(i18n, error, "baud")}
                        </div>
                        <div class="field">
                            <label for=id("parity")>{move || i18n.t("config.parity")}</label>
                            <select
                                id=id("parity")
                                data-testid="gateway-parity"
                                on:change=move |event| parity.set(event_target_value(&event))
                            >
                                {["none", "even", "odd"]
                                    .into_iter()
                                    .map(|code| {
                                        view! {
                                            <option
                                                value=code
                                                prop:selected=move || parity.get() == code
                                            >
                                                {move || i18n.t(&format!("config.parity_{code}"))}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for=id("data")>{move || i18n.t("config.data_bits")}</label>
                            <select
                                id=id("data")
                                data-testid="gateway-data-bits"
                                aria-invalid=move || is_invalid("data_bits")
                                on:change=move |event| data_bits.set(event_target_value(&event))
                            >
                                {["8", "7"]
                                    .into_iter()
                                    .map(|bits| {
                                        view! {
                                            <option
                                                value=bits
                                                prop:selected=move || data_bits.get() == bits
                                            >
                                                {bits}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            {field_message(i18n, error, "data_bits")}
                        </div>
                        <div class="field">
                            <label for=id("stop")>{move || i18n.t("config.stop_bits")}</label>
                            <select
                                id=id("stop")
                                data-testid="gateway-stop-bits"
                                aria-invalid=move || is_invalid("stop_bits")
                                on:change=move |event| stop_bits.set(event_target_value(&event))
                            >
                                {["1", "2"]
                                    .into_iter()
                                    .map(|bits| {
                                        view! {
                                            <option
                                                value=bits
                                                prop:selected=move || stop_bits.get() == bits
                                            >
                                                {bits}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            {field_message(i18n, error, "stop_bits")}
                        </div>
                    }
                        .into_any()
                } else {
                    view! {
                        <div class="field">
                            <label for=id("host")>{move || i18n.t("config.host")}</label>
                            <input
                                id=id("host")
                                data-testid="gateway-host"
                                type="text"
                                inputmode="url"
                                autocomplete="off"
                                autocapitalize="none"
                                spellcheck="false"
                                placeholder="192.168.1.20"
                                aria-invalid=move || is_invalid("host")
                                bind:value=host
                            />
                            {field_message(i18n, error, "host")}
                        </div>
                        <div class="field">
                            <label for=id("port")>{move || i18n.t("config.port")}</label>
                            <input
                                id=id("port")
                                data-testid="gateway-port"
                                type="text"
                                inputmode="numeric"
                                autocomplete="off"
                                aria-invalid=move || is_invalid("port")
                                bind:value=port
                            />
                            {field_message(i18n, error, "port")}
                        </div>
                    }
                        .into_any()
                }}
                // A HAN port only listens: there is no reply to time out.
                <Show when=move || !han>
                    <div class="field">
                        <label for=id("timeout")>{move || i18n.t("config.timeout")}</label>
                        <input
                            id=id("timeout")
                            data-testid="gateway-timeout"
                            type="text"
                            inputmode="numeric"
                            autocomplete="off"
                            aria-invalid=move || is_invalid("timeout_ms")
                            bind:value=timeout
                        />
                        {field_message(i18n, error, "timeout_ms")}
                    </div>
                </Show>
            </div>
            {form_message(i18n, error, FIELDS, "gateway-form-error")}
            <div class="form-buttons">
                <button
                    class="button button--primary"
                    type="submit"
                    data-testid="gateway-save"
                    disabled=move || pending.get()
                >
                    {move || i18n.t(if pending.get() { "config.saving" } else { "config.save" })}
                </button>
                <button
                    class="button button--ghost"
                    type="button"
                    data-testid="gateway-cancel"
                    on:click=move |_| ctx.editor.set(Editor::Closed)
                >
                    {move || i18n.t("config.cancel")}
                </button>
            </div>
        </form>
    }
}
