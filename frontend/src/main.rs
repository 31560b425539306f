//! Entry point of the web app: installs the panic hook and mounts [`frontend::App`] on the body.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::App);
}
