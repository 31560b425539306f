//! The front end is embedded from `dist/` (built by Trunk). A checkout where it was never built
//! must still compile: the server then explains how to build it instead of serving pages.
fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist");
    if !dist.exists()
        && let Err(error) = std::fs::create_dir_all(&dist)
    {
        println!("cargo::warning=cannot create {}: {error}", dist.display());
    }
    println!("cargo::rerun-if-changed=../dist");
}
