//! The tools worker's entry point (samples and exports; built for wasm32 by
//! `make dist`, loaded by the page on first use).

#[cfg(target_arch = "wasm32")]
fn main() {
    spoor::web::tools::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the `tools` binary runs in a browser Web Worker: build it with `make dist`");
    std::process::exit(2);
}
