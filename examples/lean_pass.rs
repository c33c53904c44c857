//! The benchmark floor: read audit JSON lines and extract only verb, user,
//! resource, subresource and status with borrowed serde structs. Anything
//! Spoor does costs at least this much; docs/performance.md compares with it.

use serde::Deserialize;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};

#[derive(Deserialize)]
struct Audit<'a> {
    #[serde(borrow)]
    verb: Option<&'a str>,
    #[serde(borrow, rename = "user")]
    user: Option<User<'a>>,
    #[serde(borrow, rename = "objectRef")]
    object: Option<Object<'a>>,
    #[serde(rename = "responseStatus")]
    status: Option<Status>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(borrow)]
    username: Option<&'a str>,
}

#[derive(Deserialize)]
struct Object<'a> {
    #[serde(borrow)]
    resource: Option<&'a str>,
    #[serde(borrow)]
    subresource: Option<&'a str>,
}

#[derive(Deserialize)]
struct Status {
    code: Option<u16>,
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: lean_pass AUDIT_LOG");
    let file = std::fs::File::open(&path).expect("cannot open the audit log");
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let (mut events, mut bad, mut errors) = (0u64, 0u64, 0u64);
    let mut verbs: HashMap<String, u64> = HashMap::new();
    while reader.read_line(&mut line).expect("read error") > 0 {
        match serde_json::from_str::<Audit>(line.trim_end()) {
            Ok(a) => {
                events += 1;
                *verbs.entry(a.verb.unwrap_or("").to_string()).or_default() += 1;
                let denied = a.status.and_then(|s| s.code).is_some_and(|c| c >= 400);
                let touched = a.user.and_then(|u| u.username).is_some()
                    && a.object
                        .is_some_and(|o| o.resource.is_some() || o.subresource.is_some());
                errors += u64::from(denied && touched);
            }
            Err(_) => bad += 1,
        }
        line.clear();
    }
    println!(
        "events {events} unparsed {bad} denied {errors} verbs {}",
        verbs.len()
    );
}
