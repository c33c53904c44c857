//! What building a record's fields costs, three ways, on the same audit
//! JSON lines: skipping them (`IgnoredAny`, the least any JSON reader
//! does), a borrowed tape (one flat vector of nodes per line, strings
//! borrowed from the line unless escaped: the shape of the "borrowed parse
//! into fixed slots" docs/performance.md weighs), and serde_json's `Value`
//! (what Spoor builds today, freed as Spoor frees it). Each line is parsed
//! all three ways in turn, so the three meet the same caches.
//!
//!     cargo run --release --example parse_floor -- AUDIT_LOG

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One node of a line's tape. An object or array counts the nodes of its
/// subtree, so a reader can step over it.
enum Node<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(Cow<'a, str>),
    Key(Cow<'a, str>),
    Object(u32),
    Array(u32),
}

impl Node<'_> {
    /// Something of every node, so that building it cannot be skipped.
    fn weight(&self) -> u64 {
        match self {
            Node::Null => 1,
            Node::Bool(b) => *b as u64,
            Node::Int(v) => *v as u64,
            Node::Uint(v) => *v,
            Node::Float(v) => *v as u64,
            Node::Str(s) | Node::Key(s) => s.len() as u64,
            Node::Object(n) | Node::Array(n) => *n as u64,
        }
    }
}

/// Appends a JSON value's nodes to the tape.
struct Tape<'t, 'a>(&'t mut Vec<Node<'a>>);

/// Appends an object key.
struct Key<'t, 'a>(&'t mut Vec<Node<'a>>);

impl<'de> DeserializeSeed<'de> for Tape<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> DeserializeSeed<'de> for Key<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

/// A visitor method that pushes one scalar node.
macro_rules! scalar {
    ($method:ident, $ty:ty, $node:ident) => {
        fn $method<E>(self, v: $ty) -> Result<(), E> {
            self.0.push(Node::$node(v));
            Ok(())
        }
    };
}

/// The visitor methods that push a string node, borrowed from the line
/// unless it had escapes.
macro_rules! strings {
    ($node:ident) => {
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
            self.0.push(Node::$node(Cow::Borrowed(v)));
            Ok(())
        }
        fn visit_str<E>(self, v: &str) -> Result<(), E> {
            self.0.push(Node::$node(Cow::Owned(v.to_owned())));
            Ok(())
        }
    };
}

impl<'de> Visitor<'de> for Key<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    strings!(Key);
}

impl<'de> Visitor<'de> for Tape<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.push(Node::Null);
        Ok(())
    }
    scalar!(visit_bool, bool, Bool);
    scalar!(visit_i64, i64, Int);
    scalar!(visit_u64, u64, Uint);
    scalar!(visit_f64, f64, Float);
    strings!(Str);
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let at = self.0.len();
        self.0.push(Node::Object(0));
        while map.next_key_seed(Key(self.0))?.is_some() {
            map.next_value_seed(Tape(self.0))?;
        }
        self.0[at] = Node::Object((self.0.len() - at - 1) as u32);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let at = self.0.len();
        self.0.push(Node::Array(0));
        while seq.next_element_seed(Tape(self.0))?.is_some() {}
        self.0[at] = Node::Array((self.0.len() - at - 1) as u32);
        Ok(())
    }
}

/// Runs `parse`, adding its time to `spent`.
fn timed(spent: &mut Duration, parse: impl FnOnce() -> u64) -> u64 {
    let start = Instant::now();
    let out = parse();
    *spent += start.elapsed();
    out
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: parse_floor AUDIT_LOG");
    let file = std::fs::File::open(&path).expect("cannot open the audit log");
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let (mut skip, mut tape, mut value) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut lines, mut nodes, mut check) = (0u64, 0u64, 0u64);
    while reader.read_line(&mut line).expect("read error") > 0 {
        let text = line.trim_end();
        let skipped = timed(&mut skip, || {
            serde_json::from_str::<IgnoredAny>(text).is_ok() as u64
        });
        if skipped == 0 {
            line.clear();
            continue;
        }
        lines += 1;
        check += timed(&mut tape, || {
            // A vector per line, as a record owning its tape would have.
            let mut tape = Vec::with_capacity(64);
            let mut de = serde_json::Deserializer::from_str(text);
            let parsed = Tape(&mut tape).deserialize(&mut de).is_ok();
            nodes += tape.len() as u64;
            parsed as u64 + tape.iter().map(Node::weight).sum::<u64>()
        });
        check += timed(&mut value, || {
            let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            v.as_object().map_or(0, |o| o.len() as u64)
        });
        line.clear();
    }
    let row = |name: &str, d: Duration| {
        println!(
            "| {name} | {:.3} | {:.2}× |",
            d.as_secs_f64(),
            d.as_secs_f64() / skip.as_secs_f64()
        );
    };
    println!("{lines} JSON lines, {nodes} tape nodes (check {check})");
    println!("| parse | s | × skipping |");
    println!("|---|---|---|");
    row("skip (IgnoredAny)", skip);
    row("borrowed tape", tape);
    row("serde_json::Value, built and freed", value);
}
