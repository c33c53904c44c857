//! The analysis worker's entry point (built for wasm32 by Trunk).

#[cfg(target_arch = "wasm32")]
fn main() {
    spoor::web::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the `worker` binary runs in a browser Web Worker: build it with `make dist`");
    std::process::exit(2);
}
