//! Whether two threads pay on these two cores at the moment.
//!
//! A two-thread scan passes every record from the core that parsed it to
//! the other: some seventy cache lines a record, most read one after
//! another. It is worth two cores only while a cache line crosses between
//! them quickly, and on a virtual machine that depends on where the host
//! puts the two vCPUs, which can change from one second to the next: this
//! machine measured round trips of 60 ns in some seconds and 350 ns in
//! others, and two threads ran 1.8× one thread in the first and 0.76× in
//! the second (docs/performance.md, session 16). So the reading thread
//! times a few round trips with the analysing thread now and then
//! ([`super::probe::Probe`]), and while they are slow ([`Policy`]) it does
//! the whole work alone.

use std::time::Duration;

/// Above this round trip, one thread is faster than two. With ~9 µs of
/// work a record and ~35 dependent crossings a record on each side, two
/// threads stop paying near 260 ns; measured, 220 ns still gave 1.8× and
/// 350 ns 0.76×.
const SLOW_TRIP: Duration = Duration::from_nanos(250);

/// Blocks of round trips timed per probe (256 round trips: ~20 µs at
/// 60 ns, ~90 µs at 350 ns).
pub const PROBE_BLOCKS: u64 = 4;

/// Input bytes read between two probes: ~0.5 s of a two-thread scan, so a
/// probe (up to a few ms, while the analysing thread catches up) costs
/// under 1 %.
const EPOCH_BYTES: u64 = 48 << 20;

/// When to probe, and whether the reading thread then works alone until
/// the next probe.
pub struct Policy {
    /// `SPOOR_ALONE=always` or `alternate` (tests: the report must not
    /// change however the work moves between the threads).
    forced: Option<bool>,
    probes: u64,
    /// [`EPOCH_BYTES`], or `SPOOR_EPOCH_BYTES` (tests set a few KiB, so
    /// that a small case switches many times).
    epoch_bytes: u64,
    since_probe: u64,
}

impl Policy {
    pub fn from_env() -> Self {
        let forced = match std::env::var("SPOOR_ALONE").as_deref() {
            Ok("always") => Some(true),
            Ok("alternate") => Some(false),
            _ => None,
        };
        let epoch_bytes = std::env::var("SPOOR_EPOCH_BYTES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(EPOCH_BYTES);
        Policy::new(forced, epoch_bytes)
    }

    fn new(forced: Option<bool>, epoch_bytes: u64) -> Self {
        Policy {
            forced,
            probes: 0,
            epoch_bytes,
            since_probe: 0,
        }
    }

    /// Counts `bytes` more of input read; true when a probe is due.
    pub fn due(&mut self, bytes: u64) -> bool {
        self.since_probe += bytes;
        let due = self.since_probe >= self.epoch_bytes;
        if due {
            self.since_probe = 0;
        }
        due
    }

    /// Whether to work alone, given the round trip a probe measured.
    pub fn alone(&mut self, trip: Option<Duration>) -> bool {
        self.probes += 1;
        match self.forced {
            Some(true) => true,
            Some(false) => !self.probes.is_multiple_of(2),
            None => trip.is_some_and(|t| t >= SLOW_TRIP),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_round_trips_leave_the_work_to_one_thread() {
        let mut policy = Policy::new(None, EPOCH_BYTES);
        assert!(!policy.alone(Some(Duration::from_nanos(60))));
        assert!(!policy.alone(Some(Duration::from_nanos(220))));
        assert!(policy.alone(Some(Duration::from_nanos(350))));
        // No answer: the other thread is busy or stuck, not far away.
        assert!(!policy.alone(None));
        let mut alternate = Policy::new(Some(false), EPOCH_BYTES);
        let turns: Vec<bool> = (0..4).map(|_| alternate.alone(None)).collect();
        assert_eq!(turns, [true, false, true, false]);
    }

    #[test]
    fn a_probe_is_due_every_epoch_of_input() {
        let mut policy = Policy::new(None, 100);
        assert!(!policy.due(60));
        assert!(policy.due(60));
        assert!(!policy.due(99));
        assert!(policy.due(1));
    }
}
