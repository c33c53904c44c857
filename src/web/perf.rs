//! User-timing marks around the interactions that must feel instant
//! (timeline redraw, timeline update, explorer query) and around an
//! analysis (`spoor:analysis`: files handed to the worker → its report
//! received), so the browser benchmarks (`bench/browser-interaction.mjs`,
//! `bench/browser-throughput.mjs`) or the browser's own performance panel
//! can read them. Each measure is cleared right after it is taken, so
//! hours of panning never grow the performance buffer;
//! `PerformanceObserver`s still receive every entry.

fn performance() -> Option<web_sys::Performance> {
    web_sys::window()?.performance()
}

/// Marks the start of `name` (a later mark of the same name replaces it).
pub fn start(name: &str) {
    if let Some(p) = performance() {
        let mark = format!("{name}:start");
        p.clear_marks_with_mark_name(&mark);
        let _ = p.mark(&mark);
    }
}

/// Measures `name` from its last [`start`], if there was one.
pub fn end(name: &str) {
    let Some(p) = performance() else { return };
    let mark = format!("{name}:start");
    // Fails without a start mark: nothing to measure then.
    if p.measure_with_start_mark(name, &mark).is_ok() {
        p.clear_measures_with_measure_name(name);
    }
    p.clear_marks_with_mark_name(&mark);
}
