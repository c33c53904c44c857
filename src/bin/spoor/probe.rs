//! A cache line's round trip between two threads: one asks
//! ([`Probe::ask`]), the other answers ([`Probe::answer`]). Shared by
//! `spoor scan`'s two threads (`cores`) and `examples/core_latency.rs`, so
//! the benchmark times what the scan decides by.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Round trips timed together; the probe's answer is the median block,
/// since the host sometimes pauses a vCPU for 4–8 ms, and one pause would
/// swamp a mean.
pub const BLOCK: u64 = 64;

/// A probe that waits longer than this for the other thread gives up
/// (the other thread is stuck, or gone).
const GIVE_UP: Duration = Duration::from_millis(500);

/// Set by a side that gave up, so that the other stops waiting too.
const ABANDONED: u64 = u64::MAX;

/// A counter the two threads hand back and forth: the asking side writes
/// odd values, the answering side the next even one.
pub struct Probe {
    counter: AtomicU64,
    /// Blocks of [`BLOCK`] round trips to time.
    blocks: u64,
}

impl Probe {
    /// A probe of `blocks` blocks of [`BLOCK`] round trips (at least one).
    pub fn new(blocks: u64) -> Self {
        Probe {
            counter: AtomicU64::new(0),
            blocks: blocks.max(1),
        }
    }

    /// The median of the blocks' mean round trips, once the other thread
    /// has come to [`Probe::answer`]; `None` if it did not come in time.
    pub fn ask(&self) -> Option<Duration> {
        // Trip 0 waits for the other thread to arrive.
        if !self.step(0, 1) || !self.wait_for(2) {
            return None;
        }
        let mut blocks = Vec::with_capacity(self.blocks as usize);
        for block in 0..self.blocks {
            let start = Instant::now();
            for i in block * BLOCK + 1..=(block + 1) * BLOCK {
                if !self.step(2 * i, 2 * i + 1) || !self.wait_for(2 * i + 2) {
                    return None;
                }
            }
            blocks.push(start.elapsed() / BLOCK as u32);
        }
        blocks.sort();
        blocks.get(blocks.len() / 2).copied()
    }

    /// Answers every round trip of [`Probe::ask`].
    pub fn answer(&self) {
        for i in 0..=self.blocks * BLOCK {
            if !self.wait_for(2 * i + 1) || !self.step(2 * i + 1, 2 * i + 2) {
                return;
            }
        }
    }

    /// Moves the counter on from `from`, unless the other side has given up
    /// meanwhile (a plain store would overwrite that).
    fn step(&self, from: u64, to: u64) -> bool {
        self.counter
            .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Spins until the counter holds `value`; false if the other side gave
    /// up, or if this side does.
    fn wait_for(&self, value: u64) -> bool {
        let deadline = Instant::now() + GIVE_UP;
        let mut spins = 0u32;
        loop {
            match self.counter.load(Ordering::Acquire) {
                v if v == value => return true,
                ABANDONED => return false,
                _ => {}
            }
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(4096) && Instant::now() > deadline {
                self.counter.store(ABANDONED, Ordering::Release);
                return false;
            }
            std::hint::spin_loop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_times_round_trips_with_another_thread() {
        let probe = Probe::new(4);
        let trip = std::thread::scope(|s| {
            s.spawn(|| probe.answer());
            probe.ask()
        });
        let trip = trip.expect("the other thread answered");
        assert!(trip > Duration::ZERO && trip < GIVE_UP, "{trip:?}");
    }

    #[test]
    fn a_probe_nobody_answers_gives_up() {
        let probe = Probe::new(4);
        assert_eq!(probe.ask(), None);
        // An answer that comes too late finds the probe abandoned at once.
        let started = Instant::now();
        probe.answer();
        assert!(started.elapsed() < GIVE_UP);
    }
}
