//! The event store: every normalized event of a case, kept compact enough
//! that a million events fit in a browser tab (~50 bytes each), so the page
//! can query, chart and page through them after the analysis.
//!
//! Layout: one column per field. String fields are symbols of a per-column
//! dictionary (`Dict`), and each symbol column is as narrow as its
//! dictionary allows (1, 2 or 4 bytes a row, widened on demand). Messages are
//! interned too, up to a cap ([`MAX_MESSAGE_BYTES`]); past it an event keeps
//! no message (the raw record can still be re-read from the file).
//!
//! Queries ([`query`]) compile each term into a per-dictionary mask once and
//! then scan only narrow integer columns, in time order.

pub mod query;
pub mod raw;

use crate::event::{Format, Record};
use crate::ingest::time::format_rfc3339;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Longest message kept per event, in bytes (the raw record has the rest).
pub const MAX_MESSAGE_LEN: usize = 240;
/// Bytes of distinct message text kept in total; later new messages are not stored.
pub const MAX_MESSAGE_BYTES: usize = 48 << 20;
/// Longest value kept for any other string field.
pub const MAX_VALUE_LEN: usize = 512;
/// Bytes of distinct text kept per other string column; later new values
/// are stored empty (and counted), so a log of unique junk cannot fill memory.
pub const MAX_VALUE_BYTES: usize = 64 << 20;
/// Events kept at most (~55 bytes each at scale, so well under 1 GiB, which
/// leaves room in wasm32's 4 GiB); later events are counted, not stored.
/// Detection, correlation and the summary still see every event.
pub const MAX_STORED_EVENTS: usize = 10_000_000;

/// How many events a store keeps (a type, so `Store` can derive `Default`).
#[derive(Debug, Clone, Copy)]
struct EventCap(usize);

impl Default for EventCap {
    fn default() -> Self {
        EventCap(MAX_STORED_EVENTS)
    }
}

/// The string columns of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    User,
    Action,
    Namespace,
    Pod,
    Resource,
    Subresource,
    Name,
    SourceIp,
    UserAgent,
    Host,
    Message,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::User,
        Field::Action,
        Field::Namespace,
        Field::Pod,
        Field::Resource,
        Field::Subresource,
        Field::Name,
        Field::SourceIp,
        Field::UserAgent,
        Field::Host,
        Field::Message,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::User => "user",
            Field::Action => "action",
            Field::Namespace => "namespace",
            Field::Pod => "pod",
            Field::Resource => "resource",
            Field::Subresource => "subresource",
            Field::Name => "name",
            Field::SourceIp => "source_ip",
            Field::UserAgent => "user_agent",
            Field::Host => "host",
            Field::Message => "message",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A column of small unsigned integers stored as narrow as its largest value.
#[derive(Debug, Clone)]
enum Col {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Default for Col {
    fn default() -> Self {
        Col::U8(Vec::new())
    }
}

impl Col {
    fn push(&mut self, v: u32) {
        match self {
            Col::U8(c) if v <= u8::MAX as u32 => c.push(v as u8),
            Col::U8(c) => {
                let wide: Vec<u16> = c.iter().map(|&x| x as u16).collect();
                *self = Col::U16(wide);
                self.push(v);
            }
            Col::U16(c) if v <= u16::MAX as u32 => c.push(v as u16),
            Col::U16(c) => {
                let wide: Vec<u32> = c.iter().map(|&x| x as u32).collect();
                *self = Col::U32(wide);
                self.push(v);
            }
            Col::U32(c) => c.push(v),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> u32 {
        match self {
            Col::U8(c) => c[i] as u32,
            Col::U16(c) => c[i] as u32,
            Col::U32(c) => c[i],
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Col::U8(c) => c.capacity(),
            Col::U16(c) => c.capacity() * 2,
            Col::U32(c) => c.capacity() * 4,
        }
    }

    fn shrink(&mut self) {
        match self {
            Col::U8(c) => c.shrink_to_fit(),
            Col::U16(c) => c.shrink_to_fit(),
            Col::U32(c) => c.shrink_to_fit(),
        }
    }
}

/// Distinct values of one column; symbol 0 is "no value".
#[derive(Debug, Clone)]
pub struct Dict {
    /// foldhash, not SipHash: up to a dozen lookups per event in the page.
    map: HashMap<Arc<str>, u32, foldhash::fast::RandomState>,
    values: Vec<Arc<str>>,
    text_bytes: usize,
    /// The symbol [`Dict::intern_within`] gave last: events in a row often
    /// share a value (host, verb, namespace), found by one comparison.
    last: u32,
}

impl Default for Dict {
    fn default() -> Self {
        Dict {
            map: HashMap::default(),
            values: vec![Arc::from("")],
            text_bytes: 0,
            last: 0,
        }
    }
}

impl Dict {
    /// Adds `s`, which [`Dict::lookup`] did not find, as a new symbol.
    fn insert_new(&mut self, s: &str) -> u32 {
        let id = self.values.len() as u32;
        let value: Arc<str> = Arc::from(s);
        self.text_bytes += s.len();
        self.values.push(value.clone());
        self.map.insert(value, id);
        id
    }

    fn lookup(&self, s: &str) -> Option<u32> {
        self.map.get(s).copied()
    }

    /// Interns `s` unless that would take the column's text past `max`
    /// bytes: then it counts in `dropped` and reads as no value.
    fn intern_within(&mut self, s: &str, max: usize, dropped: &mut u64) -> u32 {
        if s.is_empty() {
            return 0;
        }
        if self.get(self.last) == s {
            return self.last;
        }
        let id = match self.lookup(s) {
            Some(id) => id,
            None if self.text_bytes + s.len() > max => {
                *dropped += 1;
                0
            }
            None => self.insert_new(s),
        };
        self.last = id;
        id
    }

    pub fn get(&self, id: u32) -> &str {
        self.values.get(id as usize).map(|s| &**s).unwrap_or("")
    }

    /// Number of symbols, "no value" included.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.len() <= 1
    }

    pub fn values(&self) -> impl Iterator<Item = (u32, &str)> {
        self.values
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u32, &**s))
    }

    /// Approximate heap bytes: text, plus the table and the map entries.
    fn bytes(&self) -> usize {
        self.text_bytes + self.values.capacity() * 16 + self.map.capacity() * 24
    }
}

/// No time known for the event.
const NO_TIME: i64 = i64::MIN;

/// The columnar store of one case.
#[derive(Debug, Clone, Default)]
pub struct Store {
    time_ns: Vec<i64>,
    input: Col,
    line: Vec<u32>,
    offset: Vec<u64>,
    len: Vec<u32>,
    format: Vec<u8>,
    status: Vec<u16>,
    cols: [Col; 11],
    dicts: [Dict; 11],
    /// Event ids by time (events without a time last), built by [`Store::seal`].
    order: Vec<u32>,
    /// Events with a time: `order[..timed]`.
    timed: usize,
    /// Events whose message was not kept because of the cap.
    pub messages_dropped: u64,
    /// Values of the other string columns not kept because of [`MAX_VALUE_BYTES`].
    pub values_dropped: u64,
    /// Events not stored because the store was full.
    pub events_dropped: u64,
    cap: EventCap,
}

fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn format_code(f: Format) -> u8 {
    Format::ALL.iter().position(|&x| x == f).unwrap_or(0) as u8
}

pub fn format_of(code: u8) -> Format {
    Format::ALL
        .get(code as usize)
        .copied()
        .unwrap_or(Format::Text)
}

impl Store {
    pub fn new() -> Self {
        Store::default()
    }

    /// A store that keeps at most `max_events` events.
    pub fn with_max_events(max_events: usize) -> Self {
        Store {
            cap: EventCap(max_events),
            ..Store::default()
        }
    }

    /// Events kept at most.
    pub fn max_events(&self) -> usize {
        self.cap.0
    }

    pub fn len(&self) -> usize {
        self.time_ns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time_ns.is_empty()
    }

    /// Adds one record read from input `input`.
    pub fn push(&mut self, record: &Record, input: u32) {
        if self.len() >= self.cap.0 {
            self.events_dropped += 1;
            return;
        }
        let e = &record.event;
        let loc = &record.location;
        self.time_ns.push(e.time_ns.unwrap_or(NO_TIME));
        self.input.push(input);
        self.line.push(loc.line.min(u32::MAX as u64) as u32);
        self.offset.push(loc.offset);
        self.len.push(loc.len.min(u32::MAX as u64) as u32);
        self.format.push(format_code(record.format));
        self.status.push(e.status.unwrap_or(0));
        let values: [Option<&str>; 11] = [
            e.user.as_deref(),
            e.action.as_deref(),
            e.namespace.as_deref(),
            e.pod.as_deref(),
            e.resource.as_deref(),
            e.subresource.as_deref(),
            e.object_name.as_deref(),
            e.source_ips.first().map(String::as_str),
            e.user_agent.as_deref(),
            e.host.as_deref(),
            e.message.as_deref(),
        ];
        for (i, v) in values.into_iter().enumerate() {
            let v = v.unwrap_or("");
            let id = if i == Field::Message.index() {
                let v = clip(v.trim(), MAX_MESSAGE_LEN);
                self.dicts[i].intern_within(v, MAX_MESSAGE_BYTES, &mut self.messages_dropped)
            } else {
                let v = clip(v, MAX_VALUE_LEN);
                self.dicts[i].intern_within(v, MAX_VALUE_BYTES, &mut self.values_dropped)
            };
            self.cols[i].push(id);
        }
        self.order.clear();
    }

    /// Ends filling: builds the time order and trims spare capacity.
    pub fn seal(&mut self) {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        let t = &self.time_ns;
        order.sort_by_key(|&i| {
            let ns = t[i as usize];
            (ns == NO_TIME, ns, i)
        });
        self.timed = t.iter().filter(|&&ns| ns != NO_TIME).count();
        self.order = order;
        self.time_ns.shrink_to_fit();
        self.line.shrink_to_fit();
        self.offset.shrink_to_fit();
        self.len.shrink_to_fit();
        self.format.shrink_to_fit();
        self.status.shrink_to_fit();
        self.input.shrink();
        for c in &mut self.cols {
            c.shrink();
        }
    }

    /// Heap bytes used, approximately (columns, dictionaries, time order).
    pub fn bytes(&self) -> usize {
        self.time_ns.capacity() * 8
            + self.input.bytes()
            + self.line.capacity() * 4
            + self.offset.capacity() * 8
            + self.len.capacity() * 4
            + self.format.capacity()
            + self.status.capacity() * 2
            + self.order.capacity() * 4
            + self.cols.iter().map(Col::bytes).sum::<usize>()
            + self.dicts.iter().map(Dict::bytes).sum::<usize>()
    }

    /// The symbol of `value` in column `f`, if any event has it.
    pub fn symbol(&self, f: Field, value: &str) -> Option<u32> {
        self.dicts[f.index()].lookup(value)
    }

    pub fn dict(&self, f: Field) -> &Dict {
        &self.dicts[f.index()]
    }

    #[inline]
    pub fn sym(&self, f: Field, i: u32) -> u32 {
        self.cols[f.index()].get(i as usize)
    }

    pub fn value(&self, f: Field, i: u32) -> &str {
        self.dicts[f.index()].get(self.sym(f, i))
    }

    pub fn time(&self, i: u32) -> Option<i64> {
        let t = self.time_ns[i as usize];
        (t != NO_TIME).then_some(t)
    }

    pub fn status(&self, i: u32) -> Option<u16> {
        let s = self.status[i as usize];
        (s != 0).then_some(s)
    }

    pub fn format(&self, i: u32) -> Format {
        format_of(self.format[i as usize])
    }

    pub fn input(&self, i: u32) -> u32 {
        self.input.get(i as usize)
    }

    pub fn line(&self, i: u32) -> u32 {
        self.line[i as usize]
    }

    /// Earliest and latest event time.
    pub fn span(&self) -> Option<(i64, i64)> {
        let order = self.time_order();
        if self.timed == 0 {
            return None;
        }
        Some((
            self.time_ns[order[0] as usize],
            self.time_ns[order[self.timed - 1] as usize],
        ))
    }

    /// Event ids in time order; events without a time come last.
    pub fn time_order(&self) -> &[u32] {
        &self.order
    }

    /// The event read from `input` at `line` (the record's first line).
    pub fn find(&self, input: u32, line: u64) -> Option<u32> {
        (0..self.len() as u32).find(|&i| self.input(i) == input && self.line(i) as u64 == line)
    }

    /// One event as a row for the page.
    pub fn row(&self, i: u32) -> Row {
        let v = |f| self.value(f, i).to_string();
        Row {
            id: i,
            time: self.time(i).map(format_rfc3339).unwrap_or_default(),
            input: self.input(i),
            line: self.line(i),
            offset: self.offset[i as usize],
            len: self.len[i as usize],
            format: self.format(i).name().to_string(),
            user: v(Field::User),
            action: v(Field::Action),
            namespace: v(Field::Namespace),
            pod: v(Field::Pod),
            resource: v(Field::Resource),
            subresource: v(Field::Subresource),
            name: v(Field::Name),
            status: self.status(i).map(|s| s.to_string()).unwrap_or_default(),
            source_ip: v(Field::SourceIp),
            user_agent: v(Field::UserAgent),
            host: v(Field::Host),
            message: v(Field::Message),
        }
    }

    /// The most frequent values of `field` among `events`, largest first.
    pub fn stack(&self, field: StackField, events: &[u32], top: usize) -> Vec<(String, u64)> {
        self.top_keys(field, events, top)
            .into_iter()
            .map(|(k, n)| (self.stack_value(field, k), n))
            .collect()
    }

    /// The `top` most frequent keys of `field` among `events` with their
    /// counts, largest first, ties by name (an empty value is no key).
    fn top_keys(&self, field: StackField, events: &[u32], top: usize) -> Vec<(u32, u64)> {
        let mut counts: HashMap<u32, u64, foldhash::fast::RandomState> = HashMap::default();
        for &i in events {
            *counts.entry(self.stack_key(field, i)).or_default() += 1;
        }
        let mut out: Vec<(u32, u64, String)> = counts
            .into_iter()
            .filter(|&(k, _)| k != 0 || field.zero_is_value())
            .map(|(k, n)| (k, n, self.stack_value(field, k)))
            .collect();
        crate::sort::by(&mut out, |a, b| b.1.cmp(&a.1).then_with(|| a.2.cmp(&b.2)));
        out.truncate(top);
        out.into_iter().map(|(k, n, _)| (k, n)).collect()
    }

    /// The values a swimlane chart shows: the `top` most frequent values of
    /// `field` among `events`. Kept apart from [`Store::lanes`] so panning
    /// and zooming (same selection, new range) need not count them again.
    pub fn lane_keys(&self, field: StackField, events: &[u32], top: usize) -> LaneKeys {
        LaneKeys {
            field,
            keys: self.top_keys(field, events, top.clamp(1, MAX_LANES)),
        }
    }

    /// Swimlanes: for each value of `keys` (from [`Store::lane_keys`] over
    /// the same `events`, ids in time order), its count there and its
    /// counts per bucket of `[from, to)`, on the same buckets as
    /// [`Store::histogram`]. Bounded by lanes × buckets whatever the case size.
    pub fn lanes(
        &self,
        keys: &LaneKeys,
        events: &[u32],
        from: i64,
        to: i64,
        buckets: usize,
    ) -> Lanes {
        let grid = Buckets::new(from, to, buckets);
        let mut lanes: Vec<Lane> = keys
            .keys
            .iter()
            .map(|&(k, n)| Lane {
                name: self.stack_value(keys.field, k),
                total: n,
                counts: vec![0; grid.count],
            })
            .collect();
        for &i in grid.within(self, events) {
            let k = self.stack_key(keys.field, i);
            if let Some(lane) = keys.keys.iter().position(|&(key, _)| key == k) {
                lanes[lane].counts[grid.of(self.time_ns[i as usize])] += 1;
            }
        }
        Lanes {
            from: grid.from,
            to: grid.to,
            width: grid.width,
            lanes,
        }
    }

    /// The value of `field` for event `i` as a small integer key (a symbol,
    /// a format code, a status, an input); see [`Store::stack_value`].
    #[inline]
    pub fn stack_key(&self, field: StackField, i: u32) -> u32 {
        match field {
            StackField::Sym(f) => self.sym(f, i),
            StackField::Format => self.format[i as usize] as u32,
            StackField::Status => self.status[i as usize] as u32,
            StackField::Input => self.input(i),
        }
    }

    /// The text of a [`Store::stack_key`].
    pub fn stack_value(&self, field: StackField, key: u32) -> String {
        match field {
            StackField::Sym(f) => self.dicts[f.index()].get(key).to_string(),
            StackField::Format => format_of(key as u8).name().to_string(),
            StackField::Status | StackField::Input => key.to_string(),
        }
    }

    /// The format code of event `i` (see [`format_of`]).
    pub fn format_code(&self, i: u32) -> u8 {
        self.format[i as usize]
    }

    /// Counts of `events` (ids in time order) per time bucket in
    /// `[from, to)`, one series per format or level.
    pub fn histogram(
        &self,
        events: &[u32],
        from: i64,
        to: i64,
        buckets: usize,
        stack_by: StackBy,
    ) -> Histogram {
        let grid = Buckets::new(from, to, buckets);
        let within = grid.within(self, events);
        let mut series: Vec<Series> = Vec::new();
        // Series index per key; an array, not a map: this runs per event.
        let mut slot = [usize::MAX; 256];
        for &i in within {
            let b = grid.of(self.time_ns[i as usize]);
            let key = match stack_by {
                StackBy::Format => self.format[i as usize],
                StackBy::Level => level_of(self.status[i as usize]),
            };
            if slot[key as usize] == usize::MAX {
                slot[key as usize] = series.len();
                series.push(Series {
                    name: match stack_by {
                        StackBy::Format => format_of(key).name().to_string(),
                        StackBy::Level => LEVELS[key as usize].to_string(),
                    },
                    counts: vec![0; grid.count],
                });
            }
            series[slot[key as usize]].counts[b] += 1;
        }
        crate::sort::by(&mut series, |a, b| a.name.cmp(&b.name));
        Histogram {
            from: grid.from,
            to: grid.to,
            width: grid.width,
            total: within.len() as u64,
            series,
        }
    }

    /// The time an event sorts by (no time sorts last).
    fn key_time(&self, i: u32) -> i64 {
        match self.time_ns[i as usize] {
            NO_TIME => i64::MAX,
            t => t,
        }
    }
}

/// Lanes per request at most.
pub const MAX_LANES: usize = 20;

/// Equal time buckets over `[from, to)`, shared by histograms and lanes so
/// the page can draw them on one axis.
struct Buckets {
    from: i64,
    to: i64,
    /// Nanoseconds per bucket.
    width: i64,
    count: usize,
}

impl Buckets {
    fn new(from: i64, to: i64, count: usize) -> Self {
        let count = count.clamp(1, 4096);
        let to = to.max(from + 1);
        let width = ((to as i128 - from as i128) / count as i128).max(1) as i64;
        Buckets {
            from,
            to,
            width,
            count,
        }
    }

    /// The bucket of a time inside `[from, to)` (i64 arithmetic when it
    /// cannot overflow: i128 division is a slow library call in wasm).
    fn of(&self, t: i64) -> usize {
        let b = match t.checked_sub(self.from) {
            Some(d) => (d / self.width) as usize,
            None => ((t as i128 - self.from as i128) / self.width as i128) as usize,
        };
        b.min(self.count - 1)
    }

    /// The part of `events` (ids in time order) inside `[from, to)`.
    fn within<'a>(&self, store: &Store, events: &'a [u32]) -> &'a [u32] {
        let start = events.partition_point(|&i| store.key_time(i) < self.from);
        let end = events.partition_point(|&i| store.key_time(i) < self.to);
        &events[start..end]
    }
}

const LEVELS: [&str; 3] = ["ok", "client-error", "server-error"];

fn level_of(status: u16) -> u8 {
    match status {
        500.. => 2,
        400..=499 => 1,
        _ => 0,
    }
}

/// What [`Store::stack`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackField {
    Sym(Field),
    Format,
    Status,
    Input,
}

impl StackField {
    /// Whether key 0 is a real value (format 0, input 0) rather than "none".
    pub fn zero_is_value(self) -> bool {
        matches!(self, StackField::Format | StackField::Input)
    }

    /// A field name as the query language spells it (aliases included).
    pub fn parse(name: &str) -> Option<StackField> {
        match query::canonical_field(name)? {
            query::FieldName::Sym(f) => Some(StackField::Sym(f)),
            query::FieldName::Format => Some(StackField::Format),
            query::FieldName::Status => Some(StackField::Status),
            query::FieldName::Input => Some(StackField::Input),
            query::FieldName::After | query::FieldName::Before | query::FieldName::Pattern => None,
        }
    }
}

/// How a histogram splits its counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackBy {
    /// One series per source format.
    #[default]
    Format,
    /// One series per outcome: ok, client-error (4xx), server-error (5xx).
    Level,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub from: i64,
    pub to: i64,
    /// Nanoseconds per bucket.
    pub width: i64,
    /// Events in `[from, to)`.
    pub total: u64,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    pub counts: Vec<u32>,
}

/// The values of one field that get a swimlane, with their counts.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneKeys {
    field: StackField,
    keys: Vec<(u32, u64)>,
}

/// Per-value density strips on the histogram's buckets ([`Store::lanes`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lanes {
    pub from: i64,
    pub to: i64,
    /// Nanoseconds per bucket.
    pub width: i64,
    /// Most events first.
    pub lanes: Vec<Lane>,
}

/// One value's lane: its events in the selection and per bucket in view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    pub name: String,
    pub total: u64,
    pub counts: Vec<u32>,
}

/// One event for the page's tables.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Row {
    pub id: u32,
    #[serde(default)]
    pub time: String,
    pub input: u32,
    pub line: u32,
    pub offset: u64,
    pub len: u32,
    pub format: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub action: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pod: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_ip: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user_agent: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl Row {
    /// The value of a column by its name in [`Row`] (for the page's tables).
    pub fn get(&self, column: &str) -> &str {
        match column {
            "time" => &self.time,
            "format" => &self.format,
            "user" => &self.user,
            "action" => &self.action,
            "namespace" => &self.namespace,
            "pod" => &self.pod,
            "resource" => &self.resource,
            "subresource" => &self.subresource,
            "name" => &self.name,
            "status" => &self.status,
            "source_ip" => &self.source_ip,
            "user_agent" => &self.user_agent,
            "host" => &self.host,
            "message" => &self.message,
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests;
