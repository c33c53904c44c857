//! How long a cache line takes to go from one core to the other and back:
//! two threads hand a counter back and forth, and the round trip is the
//! elapsed time over the hand-overs. A two-thread `spoor scan` passes
//! every record between cores, so its speed-up depends on this figure,
//! which on a virtual machine changes with where the host puts the two
//! vCPUs (docs/performance.md, session 16); `bench/run.sh` prints it just
//! before and just after each two-thread run.
//!
//! `core_latency [ROUND_TRIPS]` prints the median of five trials in ns.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let round_trips: u64 = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("ROUND_TRIPS is a whole number"))
        .unwrap_or(200_000);
    let mut trials: Vec<f64> = (0..5).map(|_| trial(round_trips)).collect();
    trials.sort_by(f64::total_cmp);
    println!("{:.1}", trials[trials.len() / 2]);
}

/// Nanoseconds per round trip: this thread writes odd values, the other
/// answers each with the next even one.
fn trial(round_trips: u64) -> f64 {
    let counter = Arc::new(AtomicU64::new(0));
    let other = Arc::clone(&counter);
    let answerer = std::thread::spawn(move || {
        for i in 0..round_trips {
            while other.load(Ordering::Acquire) != 2 * i + 1 {
                std::hint::spin_loop();
            }
            other.store(2 * i + 2, Ordering::Release);
        }
    });
    // Both threads running before the clock starts.
    counter.store(1, Ordering::Release);
    while counter.load(Ordering::Acquire) != 2 {
        std::hint::spin_loop();
    }
    let start = Instant::now();
    for i in 1..round_trips {
        counter.store(2 * i + 1, Ordering::Release);
        while counter.load(Ordering::Acquire) != 2 * i + 2 {
            std::hint::spin_loop();
        }
    }
    let took = start.elapsed();
    answerer.join().expect("the answering thread ends");
    took.as_nanos() as f64 / (round_trips - 1) as f64
}
