//! The timeline: a canvas histogram of the events over time, stacked by
//! source (or outcome), with findings and incidents as markers (a click
//! selects one), gaps in logging shaded, swimlanes below ([`super::lanes`])
//! and a text tooltip. Wheel zooms, drag pans, shift-drag selects a range
//! that becomes `after:`/`before:` in the query, so every other view
//! follows. Only the histogram's bins cross from the worker; a redraw
//! touches no event.

use super::app::{self, ask, with};
use super::dom::{attr, by_id, child, clear, document, fit_canvas, on, select_value};
use super::lanes::{self, LaneState};
use super::marks::{Marks, Pick};
use super::perf;
use crate::ingest::time::format_rfc3339;
use crate::protocol::{Answer, ToWorker};
use crate::report::Report;
use crate::store::query::without_time;
use crate::store::{Histogram, StackBy};
use wasm_bindgen::JsCast;
use web_sys::{HtmlCanvasElement, MouseEvent, WheelEvent};

const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];
/// Space for the time axis at the bottom, in CSS pixels.
const AXIS: f64 = 22.0;
/// Space for markers at the top: findings in the upper row, incidents below.
const MARKS: f64 = 24.0;
/// Where the incident row starts.
const INCIDENT_ROW: f64 = 12.0;
/// How near (CSS pixels) the pointer must be to a marker to hover or pick it.
const NEAR: f64 = 5.0;
/// A drag shorter than this (CSS pixels) is a click.
const CLICK: f64 = 3.0;

#[derive(Clone, Copy)]
enum Drag {
    Pan { x0: f64, view: (i64, i64) },
    Brush { t0: i64, t1: i64 },
}

#[derive(Default)]
pub struct Timeline {
    /// The time range on screen.
    view: Option<(i64, i64)>,
    span: Option<(i64, i64)>,
    hist: Option<Histogram>,
    /// Query without time bounds, as the histogram is drawn.
    q: String,
    inflight: bool,
    dirty: bool,
    /// The range chosen with shift-drag.
    brush: Option<(i64, i64)>,
    drag: Option<Drag>,
    /// Findings, incidents and gaps of the case.
    marks: Marks,
    pub lanes: LaneState,
    /// Series names in colour order, stable while a case is open.
    names: Vec<String>,
}

fn canvas() -> HtmlCanvasElement {
    by_id("timeline-canvas").unchecked_into()
}

pub fn start() {
    let c = canvas();
    on(&c, "wheel", |e| {
        let Some(w) = e.dyn_ref::<WheelEvent>() else {
            return;
        };
        e.prevent_default();
        let Some(t) = time_at(w.offset_x() as f64) else {
            return;
        };
        let k = if w.delta_y() > 0.0 { 1.25 } else { 0.8 };
        with(|s| {
            let tl = &mut s.timeline;
            if let Some((a, b)) = tl.view {
                let a2 = t - ((t - a) as f64 * k) as i64;
                let b2 = t + ((b - t) as f64 * k) as i64;
                if b2 - a2 > 1_000_000 {
                    tl.view = Some((a2, b2));
                }
            }
        });
        moved();
    });
    on(&c, "mousedown", |e| {
        let Some(m) = e.dyn_ref::<MouseEvent>() else {
            return;
        };
        let x = m.offset_x() as f64;
        let t = time_at(x);
        with(|s| {
            let tl = &mut s.timeline;
            tl.drag = match (m.shift_key(), t, tl.view) {
                (true, Some(t), _) => Some(Drag::Brush { t0: t, t1: t }),
                (false, _, Some(view)) => Some(Drag::Pan { x0: x, view }),
                _ => None,
            };
        });
    });
    on(&c, "mousemove", |e| {
        let Some(m) = e.dyn_ref::<MouseEvent>() else {
            return;
        };
        let x = m.offset_x() as f64;
        let width = canvas().client_width().max(1) as f64;
        let t = time_at(x);
        let action = with(|s| {
            let tl = &mut s.timeline;
            match (tl.drag, t) {
                (Some(Drag::Brush { t0, .. }), Some(t)) => {
                    tl.drag = Some(Drag::Brush { t0, t1: t });
                    1
                }
                (Some(Drag::Pan { x0, view }), _) => {
                    let shift = ((x0 - x) / width * (view.1 - view.0) as f64) as i64;
                    tl.view = Some((view.0 + shift, view.1 + shift));
                    2
                }
                _ => 0,
            }
        });
        match action {
            1 => draw(),
            2 => moved(),
            _ => hover(x, m.offset_y() as f64),
        }
    });
    on(&c, "mouseup", |e| {
        let Some(m) = e.dyn_ref::<MouseEvent>() else {
            return;
        };
        let (x, y) = (m.offset_x() as f64, m.offset_y() as f64);
        match with(|s| s.timeline.drag.take()) {
            Some(Drag::Brush { t0, t1 }) if t0 != t1 => set_range(Some((t0.min(t1), t0.max(t1)))),
            Some(Drag::Pan { x0, .. }) if (x - x0).abs() < CLICK && y < MARKS => {
                if let Some(pick) = pick_at(x, y) {
                    select(pick);
                }
            }
            _ => {}
        }
    });
    on(&c, "mouseleave", |_| {
        let done = with(|s| s.timeline.drag.take());
        if let Some(Drag::Brush { t0, t1 }) = done {
            if t0 != t1 {
                set_range(Some((t0.min(t1), t0.max(t1))));
            }
        }
        super::dom::show(&by_id("timeline-tip"), false);
    });
    on(&c, "dblclick", |_| {
        with(|s| s.timeline.view = padded(s.timeline.span));
        request();
    });
    on(&by_id("range-clear"), "click", |_| set_range(None));
    on(&by_id("stack-select"), "change", |_| {
        with(|s| s.timeline.names.clear());
        request();
    });
    lanes::start();
}

/// The view moved: the bins at hand are drawn on the new axis at once
/// (stretched or shifted), and finer ones are asked for.
fn moved() {
    draw();
    request();
}

/// The marker under canvas point (x, y), if any.
fn pick_at(x: f64, y: f64) -> Option<Pick> {
    let (t0, t1) = (time_at(x - NEAR)?, time_at(x + NEAR)?);
    with(|s| s.timeline.marks.pick(y >= INCIDENT_ROW, t0, t1))
}

/// Shows a picked finding (in the findings view) or incident (in the overview).
fn select(pick: Pick) {
    match pick {
        Pick::Finding(i) => {
            app::set_tab("findings");
            super::findings::apply_url(&[("sel".to_string(), i.to_string())]);
        }
        Pick::Incident(i) => super::views::select_incident(i),
    }
}

/// Sets (or clears) the selected range and puts it into the query.
fn set_range(range: Option<(i64, i64)>) {
    with(|s| s.timeline.brush = range);
    let q = with(|s| s.q.clone());
    let mut q = without_time(&q);
    if let Some((a, b)) = range {
        q = format!(
            "{q} after:{} before:{}",
            format_rfc3339(a),
            format_rfc3339(b)
        )
        .trim()
        .to_string();
    }
    let from_log = with(|s| s.q_from_log);
    app::set_query(&q, from_log);
    draw();
}

fn padded(span: Option<(i64, i64)>) -> Option<(i64, i64)> {
    let (a, b) = span?;
    let pad = ((b - a) / 50).max(1_000_000_000);
    Some((a - pad, b + pad))
}

/// A new case: markers from its report, the whole span in view.
pub fn reset(report: &Report) {
    let marks = Marks::new(report);
    with(|s| {
        s.timeline = Timeline {
            marks,
            ..Timeline::default()
        }
    });
}

/// The query changed: the chart follows (without its time bounds), and a
/// range from the query is shaded.
pub fn query_changed(q_without_time: &str) {
    let full = with(|s| s.q.clone());
    let range = crate::store::query::parse(&full)
        .ok()
        .and_then(|q| Some((q.after?, q.before?)));
    with(|s| {
        s.timeline.q = q_without_time.to_string();
        s.timeline.brush = range;
    });
    request();
}

/// The timeline tab became visible.
pub fn shown() {
    draw();
    request();
}

/// Asks for the bins of the view (histogram and lanes), one request in
/// flight at a time: a change meanwhile asks again when the answer comes.
pub fn request() {
    let ask_now = with(|s| {
        if !s.ready {
            return None;
        }
        let tl = &mut s.timeline;
        if tl.inflight {
            tl.dirty = true;
            return None;
        }
        tl.inflight = true;
        Some((tl.q.clone(), tl.view, s.q.clone()))
    });
    let Some((q, view, full_q)) = ask_now else {
        return;
    };
    perf::start("spoor:timeline-update");
    let width = canvas().client_width().max(300) as usize;
    let buckets = (width / 4).clamp(20, 480);
    lanes::request(&full_q, view, buckets);
    let stack_by = if select_value("stack-select") == "level" {
        StackBy::Level
    } else {
        StackBy::Format
    };
    ask(
        "timeline",
        ToWorker::Histogram {
            q,
            from: view.map(|v| v.0),
            to: view.map(|v| v.1),
            buckets,
            stack_by,
        },
    );
}

pub fn on_answer(_id: u64, answer: Answer) {
    let again = with(|s| {
        let tl = &mut s.timeline;
        tl.inflight = false;
        if let Answer::Histogram { histogram, span } = answer {
            tl.span = span;
            if tl.view.is_none() {
                tl.view = padded(span);
                // Drawn over the padded view next time.
                tl.dirty = true;
            }
            for series in &histogram.series {
                if !tl.names.contains(&series.name) {
                    tl.names.push(series.name.clone());
                }
            }
            tl.hist = Some(histogram);
        }
        std::mem::take(&mut tl.dirty)
    });
    draw();
    legend();
    perf::end("spoor:timeline-update");
    if again {
        request();
    }
}

fn legend() {
    let names = with(|s| s.timeline.names.clone());
    let l = by_id("timeline-legend");
    clear(&l);
    for (i, n) in names.iter().enumerate() {
        let item = child(&l, "span", "", "");
        let sw = child(&item, "span", "swatch", "");
        let _ = sw
            .unchecked_ref::<web_sys::HtmlElement>()
            .style()
            .set_property("background", PALETTE[i % PALETTE.len()]);
        super::dom::text(&item, n);
    }
    child(&l, "span", "", "▼ findings");
    child(&l, "span", "", "▬ incidents");
    let gap = child(&l, "span", "", "");
    child(&gap, "span", "swatch gap-swatch", "");
    super::dom::text(&gap, "gap in logging");
}

/// The time under canvas x (CSS pixels).
fn time_at(x: f64) -> Option<i64> {
    let (a, b) = with(|s| s.timeline.view)?;
    let w = canvas().client_width().max(1) as f64;
    Some(a + ((b - a) as f64 * (x / w).clamp(0.0, 1.0)) as i64)
}

/// The tooltip at canvas point (x, y): the bucket's time range and counts
/// per series, and the findings, incidents and gaps under the pointer.
fn hover(x: f64, y: f64) {
    let (Some(t), Some(t0), Some(t1)) = (time_at(x), time_at(x - NEAR), time_at(x + NEAR)) else {
        return;
    };
    let lines = with(|s| {
        let tl = &s.timeline;
        let mut lines = Vec::new();
        if let Some(h) = tl.hist.as_ref().filter(|h| t >= h.from && t < h.to) {
            let b = ((t - h.from) / h.width.max(1)) as usize;
            let n: u32 = h.series.iter().filter_map(|s| s.counts.get(b)).sum();
            let start = h.from + b as i64 * h.width;
            lines.push(format!(
                "{} – {}: {n} events",
                format_rfc3339(start),
                format_rfc3339(start + h.width)
            ));
            for series in &h.series {
                match series.counts.get(b) {
                    Some(&c) if c > 0 => lines.push(format!("{}: {c}", series.name)),
                    _ => {}
                }
            }
        }
        // Markers only where they are drawn: findings near the pointer in
        // the marker band, incidents and gaps at its time.
        let (f0, f1) = if y < MARKS { (t0, t1) } else { (t, t) };
        lines.extend(tl.marks.describe(f0, f1));
        lines
    });
    let tip = by_id("timeline-tip");
    clear(&tip);
    for line in &lines {
        child(&tip, "div", "", line);
    }
    let width = canvas().client_width() as f64;
    let style = tip.style();
    let _ = style.set_property(
        "left",
        &format!("{}px", (x + 14.0).min(width - 260.0).max(0.0)),
    );
    let _ = style.set_property("top", &format!("{}px", y + 14.0));
    super::dom::show(&tip, !lines.is_empty());
    if let Some(first) = lines.first() {
        by_id("timeline-info").set_text_content(Some(first));
    }
}

/// The theme's colours (CSS custom properties), from one computed style
/// per redraw: each `getComputedStyle` costs a style pass.
struct Theme(Option<web_sys::CssStyleDeclaration>);

impl Theme {
    fn now() -> Self {
        Theme(web_sys::window().and_then(|w| {
            w.get_computed_style(&document().document_element()?)
                .ok()
                .flatten()
        }))
    }

    fn colour(&self, name: &str) -> String {
        self.0
            .as_ref()
            .and_then(|st| st.get_property_value(name).ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "#888".into())
    }
}

/// Sets an attribute only when it changes (a change restyles the element).
fn set_data(e: &web_sys::Element, name: &str, value: &str) {
    if e.get_attribute(name).as_deref() != Some(value) {
        attr(e, name, value);
    }
}

/// Redraws from the bins at hand.
pub fn draw() {
    if with(|s| s.tab != "timeline") {
        return;
    }
    perf::start("spoor:timeline-draw");
    let c = canvas();
    let Some((ctx, cw, chh)) = fit_canvas(&c) else {
        return;
    };
    let theme = Theme::now();
    let panel = theme.colour("--panel");
    ctx.set_fill_style_str(&panel);
    ctx.fill_rect(0.0, 0.0, cw, chh);
    let css = |name: &str| theme.colour(name);
    let (fg, muted, line, accent) = (css("--fg"), css("--muted"), css("--line"), css("--accent"));
    let levels = [
        ("critical", css("--critical")),
        ("high", css("--high")),
        ("medium", css("--medium")),
        ("low", css("--low")),
    ];
    with(|s| {
        let tl = &s.timeline;
        let Some((a, b)) = tl.view else {
            ctx.set_fill_style_str(&muted);
            ctx.set_font("13px system-ui, sans-serif");
            let _ = ctx.fill_text("No timed events.", 12.0, 24.0);
            return;
        };
        let span = (b - a).max(1) as f64;
        let x_of = |t: i64| (t - a) as f64 / span * cw;
        let plot_h = chh - AXIS - MARKS;
        // Gaps in logging, behind the bars.
        ctx.set_fill_style_str(&muted);
        ctx.set_global_alpha(0.12);
        for g in tl.marks.gaps_in(a, b) {
            let (x0, x1) = (x_of(g.from), x_of(g.to));
            ctx.fill_rect(x0, MARKS, (x1 - x0).max(2.0), plot_h);
        }
        ctx.set_global_alpha(1.0);
        // Bars.
        if let Some(h) = &tl.hist {
            let n = h.series.first().map_or(0, |s| s.counts.len());
            let mut max = 1u32;
            for i in 0..n {
                max = max.max(h.series.iter().map(|s| s.counts[i]).sum());
            }
            // One path and one fill per series (each call crosses into
            // JS); `tops` is where the next series stacks in each bucket.
            let mut tops = vec![MARKS + plot_h; n];
            for series in &h.series {
                let colour = tl.names.iter().position(|x| *x == series.name).unwrap_or(0);
                ctx.set_fill_style_str(PALETTE[colour % PALETTE.len()]);
                ctx.begin_path();
                for (i, &v) in series.counts.iter().enumerate().take(n) {
                    if v == 0 {
                        continue;
                    }
                    let t0 = h.from + i as i64 * h.width;
                    let (x0, x1) = (x_of(t0), x_of(t0 + h.width));
                    let bh = (v as f64 / max as f64 * (plot_h - 4.0)).max(1.0);
                    tops[i] -= bh;
                    ctx.rect(x0, tops[i], (x1 - x0 - 1.0).max(1.0), bh);
                }
                ctx.fill();
            }
            ctx.set_fill_style_str(&muted);
            ctx.set_font("11px system-ui, sans-serif");
            let _ = ctx.fill_text(&format!("max {max}/bucket"), 6.0, MARKS + 12.0);
        }
        // Axis with about six labels.
        ctx.set_stroke_style_str(&line);
        ctx.begin_path();
        ctx.move_to(0.0, MARKS + plot_h + 0.5);
        ctx.line_to(cw, MARKS + plot_h + 0.5);
        ctx.stroke();
        ctx.set_fill_style_str(&fg);
        ctx.set_font("11px system-ui, sans-serif");
        let ticks = (cw / 170.0).floor().max(2.0) as i64;
        let mut free_from = f64::MIN;
        for i in 0..=ticks {
            let t = a + ((b - a) as f64 * i as f64 / ticks as f64) as i64;
            let label = format_rfc3339(t - t.rem_euclid(1_000_000_000));
            let label = label.trim_end_matches('Z').replace('T', " ");
            let x = x_of(t);
            let tx = (x - 55.0).clamp(2.0, cw - 115.0);
            if tx >= free_from {
                let _ = ctx.fill_text(&label, tx, chh - 6.0);
                free_from = tx + 118.0;
            }
            ctx.fill_rect(x, MARKS + plot_h, 1.0, 4.0);
        }
        let colour_of = |level: &str| {
            levels
                .iter()
                .find(|(l, _)| *l == level)
                .map_or(muted.clone(), |(_, c)| c.clone())
        };
        // Findings.
        for f in tl.marks.findings_in(a, b) {
            let x = x_of(f.time);
            ctx.set_fill_style_str(&colour_of(&f.level));
            ctx.begin_path();
            ctx.move_to(x - 4.0, 1.0);
            ctx.line_to(x + 4.0, 1.0);
            ctx.line_to(x, INCIDENT_ROW - 3.0);
            ctx.close_path();
            ctx.fill();
            ctx.fill_rect(x, MARKS, 0.6, plot_h);
        }
        // Incidents, first to last seen.
        let mut incidents = 0;
        for i in tl.marks.incidents_in(a, b) {
            let (x0, x1) = (x_of(i.from), x_of(i.to));
            ctx.set_fill_style_str(&colour_of(&i.level));
            ctx.fill_rect(
                x0,
                INCIDENT_ROW + 1.0,
                (x1 - x0).max(3.0),
                MARKS - INCIDENT_ROW - 4.0,
            );
            incidents += 1;
        }
        set_data(&c, "data-incident-markers", &incidents.to_string());
        set_data(&c, "data-gaps", &tl.marks.gaps_in(a, b).count().to_string());
        // The range: being dragged, or chosen.
        let range = match tl.drag {
            Some(Drag::Brush { t0, t1 }) => Some((t0.min(t1), t0.max(t1))),
            _ => tl.brush,
        };
        if let Some((r0, r1)) = range {
            let (x0, x1) = (x_of(r0), x_of(r1));
            ctx.set_global_alpha(0.18);
            ctx.set_fill_style_str(&accent);
            ctx.fill_rect(x0, MARKS, (x1 - x0).max(1.0), plot_h);
            ctx.set_global_alpha(1.0);
            ctx.set_stroke_style_str(&accent);
            ctx.stroke_rect(x0, MARKS, (x1 - x0).max(1.0), plot_h);
        }
    });
    let info = with(|s| {
        let tl = &s.timeline;
        let h = tl.hist.as_ref()?;
        Some(match tl.brush {
            Some((r0, r1)) => format!(
                "{} events in view · range {} – {} selected",
                h.total,
                format_rfc3339(r0),
                format_rfc3339(r1)
            ),
            None => format!("{} events in view", h.total),
        })
    });
    if let Some(info) = info {
        by_id("timeline-info").set_text_content(Some(&info));
    }
    if let Some(view) = with(|s| s.timeline.view) {
        lanes::draw(view, &accent, &line, &panel);
    }
    perf::end("spoor:timeline-draw");
}
