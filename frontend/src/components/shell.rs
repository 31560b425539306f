use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::Header;
use crate::i18n::use_i18n;
use crate::live::{self, use_live};
use crate::{api, use_auth, use_session_lost};

/// The frame of every page that needs a login: checks the session (going to `/login` without one),
/// starts the live feed, and shows the header, the live-feed banner and the page.
#[component]
pub fn Shell(children: ChildrenFn) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let live = use_live();
    let leave = use_session_lost();
    let problem = RwSignal::new(None::<api::Failure>);

    if auth.session.get_untracked().is_none() {
        spawn_local(async move {
            match api::session().await {
                Ok(Some(session)) => auth.session.set(Some(session)),
                Ok(None) => leave(),
                Err(failure) if failure.is_unauthorized() => leave(),
                Err(failure) => problem.set(Some(failure)),
            }
        });
    }

    let logged_in = Memo::new(move |_| auth.session.with(Option::is_some));
    Effect::new(move || {
        if logged_in.get() {
            live::start(live);
        }
    });

    let children = StoredValue::new(children);
    view! {
        <div class="app">
            <Header />
            <Show when=move || live.is_down()>
                <div class="banner banner--warning" role="status" data-testid="live-disconnected">
                    {move || i18n.t("live.disconnected")}
                </div>
            </Show>
            <main class="page">
                {move || {
                    if logged_in.get() {
                        children.with_value(|children| children()).into_any()
                    } else if let Some(failure) = problem.get() {
                        view! {
                            <p class="alert alert--error" role="alert">
                                {i18n.error(&failure.error.code, &failure.error.message)}
                            </p>
                        }
                            .into_any()
                    } else {
                        view! { <p class="loading">{move || i18n.t("common.loading")}</p> }
                            .into_any()
                    }
                }}
            </main>
        </div>
    }
}
