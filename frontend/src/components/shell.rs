use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::Page;

use crate::components::{Header, LockScreen};
use crate::i18n::use_i18n;
use crate::live::{self, LinkState, use_live};
use crate::{DEVICE_PAGES, api, use_auth, use_session_lost};

/// What the frame shows in place of the page.
#[derive(Debug, Clone, PartialEq)]
enum Gate {
    /// Asking the server who is logged in.
    Loading,
    /// The server could not say.
    Problem(api::Failure),
    /// The lock screen, full screen (§8.1.4).
    Locked,
    /// The user's pages do not include this one.
    NotAllowed,
    Open,
}

/// The frame of every page that needs a login: checks the session (going to `/login` without one),
/// shows the lock screen while it is locked, refuses the page to a user whose pages do not
/// include one of `requires` (an empty list: any logged-in user), runs the live feed for those
/// who may see live values, and shows the header, the live-feed banner and the page.
#[component]
pub fn Shell(
    /// The pages of which one opens this page.
    #[prop(optional)]
    requires: &'static [Page],
    children: ChildrenFn,
) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let live = use_live();
    let leave = use_session_lost();
    let problem = RwSignal::new(None::<api::Failure>);

    if auth.session.get_untracked().is_none() {
        let leave = leave.clone();
        spawn_local(async move {
            match api::session().await {
                Ok(Some(session)) => auth.session.set(Some(session)),
                Ok(None) => leave(),
                Err(failure) if failure.is_unauthorized() => leave(),
                Err(failure) => problem.set(Some(failure)),
            }
        });
    }

    // A memo, so a change that keeps the verdict (a new PIN, say) does not rebuild the page.
    let gate = Memo::new(move |_| {
        if auth.session.with(Option::is_none) {
            match problem.get() {
                Some(failure) => Gate::Problem(failure),
                None => Gate::Loading,
            }
        } else if auth.is_locked() {
            Gate::Locked
        } else if auth.allows_any(requires) {
            Gate::Open
        } else {
            Gate::NotAllowed
        }
    });

    // The server gives live values only to those who may see them, and closes the feed while the
    // session is locked: it runs exactly then, and starts again at once after unlocking.
    let live_allowed = Memo::new(move |_| !auth.is_locked() && auth.allows_any(DEVICE_PAGES));
    Effect::new(move || {
        if live_allowed.get() {
            live::start(live);
        } else {
            live::stop(live);
        }
    });
    // A lost feed may mean the session was locked or closed elsewhere (another tab): ask.
    Effect::new(move || {
        if live.state.get() != LinkState::Down {
            return;
        }
        let leave = leave.clone();
        spawn_local(async move {
            match api::session().await {
                Ok(Some(session)) => {
                    if auth
                        .session
                        .with_untracked(|known| known.as_ref() != Some(&session))
                    {
                        auth.session.set(Some(session));
                    }
                }
                Ok(None) => leave(),
                // The server is out of reach: the banner says so and the feed keeps trying.
                Err(_) => {}
            }
        });
    });

    let children = StoredValue::new(children);
    move || match gate.get() {
        Gate::Locked => view! { <LockScreen /> }.into_any(),
        gate => {
            let content = match gate {
                Gate::Open => children.with_value(|children| children()).into_any(),
                Gate::NotAllowed => not_allowed(i18n).into_any(),
                Gate::Problem(failure) => view! {
                    <p class="alert alert--error" role="alert">
                        {i18n.error(&failure.error.code, &failure.error.message)}
                    </p>
                }
                .into_any(),
                _ => view! { <p class="loading">{move || i18n.t("common.loading")}</p> }.into_any(),
            };
            view! {
                <div class="app">
                    <Header />
                    <Show when=move || live.is_down()>
                        <div class="banner banner--warning" role="status" data-testid="live-disconnected">
                            {move || i18n.t("live.disconnected")}
                        </div>
                    </Show>
                    <main class="page">{content}</main>
                </div>
            }
            .into_any()
        }
    }
}

/// A page the user's role does not open: said plainly, with the way home.
fn not_allowed(i18n: crate::i18n::I18n) -> impl IntoView {
    view! {
        <section class="card not-allowed" data-testid="not-allowed" role="alert">
            <h1 class="page-title">{move || i18n.t("access.not_allowed_title")}</h1>
            <p>{move || i18n.t("access.not_allowed_text")}</p>
            <a class="button button--primary" href="/" data-testid="not-allowed-home">
                {move || i18n.t("page.go_home")}
            </a>
        </section>
    }
}
