use leptos::prelude::*;

use crate::i18n::use_i18n;

/// Any address the app does not know.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <main class="auth-page">
            <section class="card auth-card">
                <h1>{move || i18n.t("page.not_found")}</h1>
                <p>
                    <a class="button" href="/">
                        {move || i18n.t("page.go_home")}
                    </a>
                </p>
            </section>
        </main>
    }
}
