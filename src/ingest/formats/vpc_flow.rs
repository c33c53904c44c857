//! AWS VPC flow logs in their text form: the default version 2 format
//! (`version account-id interface-id srcaddr dstaddr srcport dstport
//! protocol packets bytes start end action log-status`, space-separated),
//! or a custom format, which files delivered to S3 announce in a first
//! line naming the fields (`version vpc-id srcaddr dstaddr …`). Fields are
//! kept by their AWS names (`srcaddr`, `dstport`, `action`…); `-` means no
//! value. `NODATA`/`SKIPDATA` records carry no connection and are kept as
//! records without addresses.

use super::{Out, Parser};
use crate::event::{Event, Format, Location, Network, Record};
use crate::ingest::time::format_rfc3339;
use serde_json::{Map, Value};

/// The default (version 2) field order.
const DEFAULT_FIELDS: [&str; 14] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

/// Field names a header line may use (versions 2–5).
const KNOWN_FIELDS: &[&str] = &[
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
];

/// A header line: every word a known field name, `srcaddr` among them.
pub fn is_header(line: &str) -> bool {
    let mut words = line.split_whitespace().peekable();
    words.peek().is_some()
        && line
            .split_whitespace()
            .any(|w| w == "srcaddr" || w == "dstaddr")
        && words.all(|w| KNOWN_FIELDS.contains(&w))
}

/// A default-format record: 14 fields, an `eni-` interface, ACCEPT/REJECT
/// or `-`, and a log status.
fn is_default_record(line: &str) -> bool {
    let w: Vec<&str> = line.split_whitespace().collect();
    w.len() == 14
        && w[0].bytes().all(|b| b.is_ascii_digit())
        && (w[2].starts_with("eni-") || w[2] == "-")
        && matches!(w[12], "ACCEPT" | "REJECT" | "-")
        && matches!(w[13], "OK" | "NODATA" | "SKIPDATA")
}

/// True for a VPC flow log header or default-format record.
pub fn looks_like(line: &str) -> bool {
    is_header(line) || is_default_record(line)
}

/// IANA protocol numbers seen in flow logs.
fn protocol_name(n: &str) -> String {
    match n {
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        other => other.to_string(),
    }
}

/// Reads records by the field list of the input's header (or the default).
pub struct VpcFlowParser {
    fields: Vec<String>,
}

impl VpcFlowParser {
    pub fn new() -> Self {
        VpcFlowParser {
            fields: DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

impl Default for VpcFlowParser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser for VpcFlowParser {
    fn parse(&mut self, unit: &str, location: Location, out: &mut Out) -> Result<(), String> {
        if is_header(unit) {
            self.fields = unit.split_whitespace().map(str::to_string).collect();
            out.info(
                location.line,
                format!("flow log header: {} fields", self.fields.len()),
            );
            return Ok(());
        }
        let values: Vec<&str> = unit.split_whitespace().collect();
        if values.len() != self.fields.len() {
            return Err(format!(
                "{} fields where the format has {}",
                values.len(),
                self.fields.len()
            ));
        }
        let mut obj = Map::new();
        for (k, v) in self.fields.iter().zip(&values) {
            let value = match v.parse::<u64>() {
                Ok(n) if !matches!(k.as_str(), "account-id" | "version") => Value::from(n),
                _ => Value::from(*v),
            };
            obj.insert(k.clone(), value);
        }
        let get = |k: &str| {
            obj.get(k)
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .filter(|s| s != "-")
        };
        let port = |k: &str| get(k).and_then(|p| p.parse::<u16>().ok());
        let start = get("start").and_then(|s| s.parse::<i64>().ok());
        let time_ns = start.and_then(|s| s.checked_mul(1_000_000_000));
        if get("srcaddr").is_none() && get("log-status").is_none() {
            return Err("no srcaddr and no log-status".into());
        }
        let net = Network {
            protocol: get("protocol").map(|p| protocol_name(&p)),
            src_port: port("srcport"),
            dst_ip: get("dstaddr"),
            dst_port: port("dstport"),
            verdict: get("action"),
            bytes: get("bytes").and_then(|b| b.parse().ok()),
            ..Default::default()
        };
        let src = get("srcaddr");
        let dst = match (&net.dst_ip, net.dst_port) {
            (Some(ip), Some(p)) => Some(format!("{ip}:{p}")),
            (ip, _) => ip.clone(),
        };
        let message = match &src {
            None => format!(
                "{} {}",
                get("interface-id").unwrap_or_default(),
                get("log-status").unwrap_or_default()
            ),
            Some(src) => format!(
                "{}:{} -> {} {} {}",
                src,
                net.src_port.map(|p| p.to_string()).unwrap_or_default(),
                dst.as_deref().unwrap_or("-"),
                net.protocol.as_deref().unwrap_or("").to_ascii_uppercase(),
                net.verdict
                    .clone()
                    .or_else(|| get("log-status"))
                    .unwrap_or_default()
            ),
        };
        let event = Event {
            time_ns,
            time_text: time_ns.map(format_rfc3339).unwrap_or_default(),
            host: get("instance-id").or_else(|| get("interface-id")),
            source_ips: src.into_iter().collect(),
            action: net.verdict.clone(),
            object_name: dst,
            message: Some(message),
            network: Some(Box::new(net)),
            ..Default::default()
        };
        out.push(Record {
            format: Format::VpcFlow,
            event,
            fields: Value::Object(obj),
            location,
        });
        Ok(())
    }
}
