//! How long a cache line takes to go from one core to the other and back:
//! two threads hand a counter back and forth, and the round trip is the
//! elapsed time over the hand-overs. A two-thread `spoor scan` passes
//! every record between cores, so its speed-up depends on this figure,
//! which on a virtual machine changes with where the host puts the two
//! vCPUs (docs/performance.md, session 16); `bench/run.sh` prints it just
//! before and just after each two-thread run.
//!
//! `core_latency [ROUND_TRIPS]` prints, in ns, the median round trip over
//! blocks of [`BLOCK`] round trips: the host sometimes stops a vCPU for
//! 4–8 ms, and one such pause would swamp a plain mean.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Round trips timed together: few enough that a pause spoils only its
/// own block, enough that reading the clock costs little.
const BLOCK: u64 = 64;

fn main() {
    let round_trips: u64 = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("ROUND_TRIPS is a whole number"))
        .unwrap_or(200_000);
    let mut blocks = time_blocks(round_trips.div_ceil(BLOCK).max(1));
    blocks.sort_by(f64::total_cmp);
    println!("{:.1}", blocks[blocks.len() / 2]);
}

/// The mean round trip of each block, in ns: this thread writes odd
/// values, the other answers each with the next even one.
fn time_blocks(count: u64) -> Vec<f64> {
    let round_trips = count * BLOCK;
    let counter = Arc::new(AtomicU64::new(0));
    let other = Arc::clone(&counter);
    let answerer = std::thread::spawn(move || {
        for i in 0..=round_trips {
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
    let mut blocks = Vec::with_capacity(count as usize);
    for block in 0..count {
        let start = Instant::now();
        for i in block * BLOCK + 1..=(block + 1) * BLOCK {
            counter.store(2 * i + 1, Ordering::Release);
            while counter.load(Ordering::Acquire) != 2 * i + 2 {
                std::hint::spin_loop();
            }
        }
        blocks.push(start.elapsed().as_nanos() as f64 / BLOCK as f64);
    }
    answerer.join().expect("the answering thread ends");
    blocks
}
