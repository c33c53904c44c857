//! Swimlanes under the timeline: one density strip per most frequent
//! identity, pod, node or source IP among the events of the current query
//! (brushed range included), on the timeline's time axis. The worker bins
//! them (`ToWorker::Lanes`), so a redraw costs lanes × buckets whatever the
//! case size. A lane's label (text content, never HTML) filters by it.

use super::app::{self, ask, with};
use super::dom::{
    attr, by_id, child, clear, fit_canvas, on, select_value, target_closest, thousands,
};
use crate::protocol::{Answer, ToWorker};
use crate::store::query::term;
use crate::store::Lanes;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

/// Lanes shown at most.
const TOP: usize = 8;
/// Opacity steps of the density strips.
const SHADES: usize = 4;
/// Height of one lane in CSS pixels (the labels' CSS row height matches).
pub const LANE_H: f64 = 20.0;

#[derive(Default)]
pub struct LaneState {
    /// The id of the last request: older answers are dropped.
    asked: u64,
    lanes: Option<Lanes>,
}

fn canvas() -> HtmlCanvasElement {
    by_id("lanes-canvas").unchecked_into()
}

pub fn start() {
    on(&by_id("lane-select"), "change", |_| {
        super::timeline::request();
    });
    on(&by_id("lane-labels"), "click", |e| {
        let Some(label) = target_closest(&e, "[data-lane-value]") else {
            return;
        };
        let value = label.get_attribute("data-lane-value").unwrap_or_default();
        let add = term(&select_value("lane-select"), &value);
        let q = with(|s| s.q.clone());
        let q = if q.is_empty() {
            add
        } else {
            format!("{q} {add}")
        };
        app::set_query(&q, true);
    });
}

/// Asks for the lanes of query `q` over the timeline's view and buckets.
pub fn request(q: &str, view: Option<(i64, i64)>, buckets: usize) {
    let id = ask(
        "lanes",
        ToWorker::Lanes {
            q: q.to_string(),
            field: select_value("lane-select"),
            top: TOP,
            from: view.map(|v| v.0),
            to: view.map(|v| v.1),
            buckets,
        },
    );
    with(|s| s.timeline.lanes.asked = id);
}

pub fn on_answer(id: u64, answer: Answer) {
    if with(|s| s.timeline.lanes.asked != id) {
        return;
    }
    let lanes = match answer {
        Answer::Lanes { lanes, .. } => Some(lanes),
        _ => None,
    };
    labels(lanes.as_ref());
    with(|s| s.timeline.lanes.lanes = lanes);
    super::timeline::draw();
}

/// One label per lane: the value and its count in the selection.
fn labels(lanes: Option<&Lanes>) {
    let box_ = by_id("lane-labels");
    clear(&box_);
    let list = lanes.map_or(&[][..], |l| &l.lanes[..]);
    if list.is_empty() {
        child(
            &box_,
            "p",
            "muted lane-empty",
            "No values to show lanes for.",
        );
    }
    for lane in list {
        let b = child(&box_, "button", "lane-label", &lane.name);
        attr(&b, "type", "button");
        attr(&b, "data-testid", "lane-label");
        attr(&b, "data-lane-value", &lane.name);
        attr(&b, "title", &format!("Filter by {}", lane.name));
        child(&b, "span", "n", &thousands(lane.total));
    }
    let _ = canvas().style().set_property(
        "height",
        &format!("{}px", (list.len().max(1) as f64 * LANE_H) as u32),
    );
    attr(&by_id("swimlanes"), "data-lanes", &list.len().to_string());
}

/// Draws the strips over the time range `(a, b)`, from the bins at hand.
pub fn draw(view: (i64, i64), colour: &str, line: &str, panel: &str) {
    let Some((ctx, cw, ch)) = fit_canvas(&canvas()) else {
        return;
    };
    ctx.set_fill_style_str(panel);
    ctx.fill_rect(0.0, 0.0, cw, ch);
    let (a, b) = view;
    let span = (b - a).max(1) as f64;
    let x_of = |t: i64| (t - a) as f64 / span * cw;
    with(|s| {
        let Some(lanes) = &s.timeline.lanes.lanes else {
            return;
        };
        for (k, lane) in lanes.lanes.iter().enumerate() {
            let y = k as f64 * LANE_H;
            ctx.set_fill_style_str(line);
            ctx.fill_rect(0.0, y + LANE_H - 1.0, cw, 1.0);
            let max = lane.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
            // Density as one of a few opacities (a single event still
            // shows), one path per opacity: few calls into JS per lane.
            let shade = |n: u32| (((n as f64 / max).sqrt() * SHADES as f64).ceil() as usize).max(1);
            ctx.set_fill_style_str(colour);
            for level in 1..=SHADES {
                ctx.set_global_alpha(0.2 + 0.8 * level as f64 / SHADES as f64);
                ctx.begin_path();
                for (i, &n) in lane.counts.iter().enumerate() {
                    if n == 0 || shade(n) != level {
                        continue;
                    }
                    let t0 = lanes.from + i as i64 * lanes.width;
                    let (x0, x1) = (x_of(t0), x_of(t0 + lanes.width));
                    ctx.rect(x0, y + 3.0, (x1 - x0).max(1.0), LANE_H - 7.0);
                }
                ctx.fill();
            }
            ctx.set_global_alpha(1.0);
        }
    });
}
