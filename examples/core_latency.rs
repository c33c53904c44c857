//! How long a cache line takes to go from one core to the other and back,
//! timed as `spoor scan`'s two threads time it before deciding whether two
//! threads pay (`src/bin/spoor/probe.rs`). A two-thread scan passes every
//! record between cores, so its speed-up depends on this figure, which on
//! a virtual machine changes with where the host puts the two vCPUs
//! (docs/performance.md, session 16); `bench/run.sh` prints it just before
//! and just after each two-thread run.
//!
//! `core_latency [ROUND_TRIPS]` prints, in ns, the median round trip over
//! blocks of 64 round trips: the host sometimes stops a vCPU for 4–8 ms,
//! and one such pause would swamp a plain mean.

#[path = "../src/bin/spoor/probe.rs"]
mod probe;

use probe::{Probe, BLOCK};

fn main() {
    let round_trips: u64 = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("ROUND_TRIPS is a whole number"))
        .unwrap_or(200_000);
    let probe = Probe::new(round_trips.div_ceil(BLOCK));
    let trip = std::thread::scope(|s| {
        s.spawn(|| probe.answer());
        probe.ask()
    })
    .expect("the other thread answers within 500 ms");
    println!("{:.1}", trip.as_secs_f64() * 1e9);
}
