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
//! ([`Probe`]), and while they are slow ([`Policy`]) it does the whole
//! work alone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Round trips timed per probe (~20 µs at 60 ns, ~90 µs at 350 ns).
const TRIPS: u64 = 256;

/// Round trips timed together; the probe's answer is the median block,
/// since the host sometimes pauses a vCPU for 4–8 ms, and one pause would
/// swamp a mean.
const BLOCK: u64 = 64;

/// A probe that waits longer than this for the other thread gives up
/// (the other thread is stuck, or gone).
const GIVE_UP: Duration = Duration::from_millis(500);

/// Set by a side that gave up, so that the other stops waiting too.
const ABANDONED: u64 = u64::MAX;

/// Above this round trip, one thread is faster than two. With ~9 µs of
/// work a record and ~35 dependent crossings a record on each side, two
/// threads stop paying near 260 ns; measured, 220 ns still gave 1.8× and
/// 350 ns 0.76×.
const SLOW_TRIP: Duration = Duration::from_nanos(250);

/// Decides, at each probe, whether the reading thread works alone until
/// the next one.
pub struct Policy {
    /// `SPOOR_ALONE=always` or `alternate` (tests: the report must not
    /// change however the work moves between the threads).
    forced: Option<bool>,
    probes: u64,
}

impl Policy {
    pub fn from_env() -> Self {
        let forced = match std::env::var("SPOOR_ALONE").as_deref() {
            Ok("always") => Some(true),
            Ok("alternate") => Some(false),
            _ => None,
        };
        Policy { forced, probes: 0 }
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

/// A counter the two threads hand back and forth: the asking side writes
/// odd values, the answering side the next even one.
#[derive(Default)]
pub struct Probe {
    counter: AtomicU64,
}

impl Probe {
    /// The mean round trip, once the other thread has come to
    /// [`Probe::answer`]; `None` if it did not come in time.
    pub fn ask(&self) -> Option<Duration> {
        // Trip 0 waits for the other thread to arrive.
        if !self.step(0, 1) || !self.wait_for(2) {
            return None;
        }
        let mut blocks = Vec::with_capacity((TRIPS / BLOCK) as usize);
        for block in 0..TRIPS / BLOCK {
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
        for i in 0..=TRIPS {
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
        let probe = Probe::default();
        let trip = std::thread::scope(|s| {
            s.spawn(|| probe.answer());
            probe.ask()
        });
        let trip = trip.expect("the other thread answered");
        assert!(trip > Duration::ZERO && trip < GIVE_UP, "{trip:?}");
    }

    #[test]
    fn slow_round_trips_leave_the_work_to_one_thread() {
        let mut policy = Policy {
            forced: None,
            probes: 0,
        };
        assert!(!policy.alone(Some(Duration::from_nanos(60))));
        assert!(!policy.alone(Some(Duration::from_nanos(220))));
        assert!(policy.alone(Some(Duration::from_nanos(350))));
        // No answer: the other thread is busy or stuck, not far away.
        assert!(!policy.alone(None));
        let mut alternate = Policy {
            forced: Some(false),
            probes: 0,
        };
        let turns: Vec<bool> = (0..4).map(|_| alternate.alone(None)).collect();
        assert_eq!(turns, [true, false, true, false]);
    }

    #[test]
    fn a_probe_nobody_answers_gives_up() {
        let probe = Probe::default();
        assert_eq!(probe.ask(), None);
        // An answer that comes too late finds the probe abandoned at once.
        let started = Instant::now();
        probe.answer();
        assert!(started.elapsed() < GIVE_UP);
    }
}
