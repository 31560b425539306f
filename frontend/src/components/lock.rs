use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use shared::UnlockRequest;

use crate::i18n::use_i18n;
use crate::live::{self, use_live};
use crate::{api, use_auth, use_session_lost};

/// Where the login page is told the session was closed by too many wrong unlock attempts.
pub const LOCKED_OUT_LOGIN: &str = "/login?reason=locked_out";

/// The full-screen lock screen of a locked session (§8.1.4): the password, or the PIN on a
/// phone's number pad, unlocks it; too many wrong ones close the session.
#[component]
pub fn LockScreen() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let live = use_live();
    let navigate = use_navigate();
    let leave = use_session_lost();

    let has_pin = auth
        .session
        .with_untracked(|s| s.as_ref().is_some_and(|s| s.has_pin));
    let username = auth
        .session
        .with_untracked(|s| s.as_ref().map(|s| s.username.clone()))
        .unwrap_or_default();
    // With a PIN, the number pad comes first; the password stays one tap away.
    let with_pin = RwSignal::new(has_pin);
    let secret = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let left = RwSignal::new(None::<u32>);
    let pending = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let focus = move || {
        if let Some(input) = input.get_untracked() {
            let _ = input.focus();
        }
    };
    Effect::new(move || {
        if let Some(input) = input.get() {
            let _ = input.focus();
        }
    });

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let request = UnlockRequest {
            secret: secret.get_untracked(),
        };
        if request.secret.is_empty() {
            problem.set(Some(i18n.t(if with_pin.get_untracked() {
                "lock.enter_pin"
            } else {
                "lock.enter_password"
            })));
            focus();
            return;
        }
        pending.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let outcome = api::unlock(&request).await;
            pending.set(false);
            secret.set(String::new());
            match outcome {
                // The frame sees the open session, shows the page again and restarts the feed.
                Ok(session) => auth.session.set(Some(session)),
                Err(failure) if failure.error.code == "error.unlock_failed" => {
                    left.set(failure.error.tries_left);
                    problem.set(Some(
                        i18n.error(&failure.error.code, &failure.error.message),
                    ));
                    focus();
                }
                Err(failure) if failure.is_unauthorized() => {
                    // The last wrong try closed the session: a new login is needed.
                    auth.session.set(None);
                    live::stop(live);
                    navigate(LOCKED_OUT_LOGIN, Default::default());
                }
                Err(failure) => {
                    problem.set(Some(
                        i18n.error(&failure.error.code, &failure.error.message),
                    ));
                    focus();
                }
            }
        });
    };
    let log_out = move |_| {
        let leave = leave.clone();
        spawn_local(async move {
            // Whatever the answer, the user asked to leave.
            let _ = api::logout().await;
            leave();
        });
    };
    let switch = move |_| {
        with_pin.update(|pin| *pin = !*pin);
        secret.set(String::new());
        problem.set(None);
        focus();
    };
    let tries_text = move || {
        left.get().map(|count| match count {
            1 => i18n.t("lock.tries_left_one"),
            count => i18n.format("lock.tries_left", &[("count", &count.to_string())]),
        })
    };

    view! {
        <main
            class="lock-screen"
            data-testid="lock-screen"
            role="dialog"
            aria-modal="true"
            aria-labelledby="lock-title"
        >
            <form class="lock-screen__card card" on:submit=submit novalidate>
                <img class="lock-screen__logo" src="/favicon.svg" alt="" width="48" height="48" />
                <h1 id="lock-title">{move || i18n.t("lock.title")}</h1>
                <p class="lock-screen__user" data-testid="lock-user">{username}</p>
                <label class="lock-screen__label" for="lock-secret">
                    {move || i18n.t(if with_pin.get() { "lock.pin" } else { "lock.password" })}
                </label>
                <input
                    id="lock-secret"
                    class="lock-screen__input"
                    data-testid="lock-secret"
                    type="password"
                    autofocus
                    inputmode=move || if with_pin.get() { "numeric" } else { "text" }
                    pattern=move || with_pin.get().then_some("[0-9]*")
                    autocomplete=move || if with_pin.get() { "off" } else { "current-password" }
                    aria-invalid=move || problem.with(Option::is_some).to_string()
                    aria-describedby="lock-problem"
                    prop:value=move || secret.get()
                    on:input=move |event| secret.set(event_target_value(&event))
                />
                <div id="lock-problem" aria-live="polite">
                    <Show when=move || problem.with(Option::is_some)>
                        <p
                            class="alert alert--error"
                            role="alert"
                            data-testid="lock-error"
                            data-tries-left=move || left.get().map(|count| count.to_string())
                        >
                            {move || problem.get()}
                            " "
                            {tries_text}
                        </p>
                    </Show>
                </div>
                <button
                    class="button button--primary button--block lock-screen__unlock"
                    type="submit"
                    data-testid="lock-unlock"
                    disabled=move || pending.get()
                >
                    {move || i18n.t("lock.unlock")}
                </button>
                <div class="lock-screen__more">
                    <Show when=move || has_pin>
                        <button
                            class="button button--ghost"
                            type="button"
                            data-testid="lock-switch"
                            on:click=switch
                        >
                            {move || {
                                i18n.t(if with_pin.get() { "lock.use_password" } else { "lock.use_pin" })
                            }}
                        </button>
                    </Show>
                    <button
                        class="button button--ghost"
                        type="button"
                        data-testid="lock-logout"
                        on:click=log_out
                    >
                        {move || i18n.t("nav.logout")}
                    </button>
                </div>
            </form>
        </main>
    }
}
