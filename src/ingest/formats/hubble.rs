//! Cilium Hubble flows, as `hubble observe -o jsonpb` writes them
//! (`{"flow":{…},"node_name":…,"time":…}`, one `GetFlowsResponse` per line)
//! or as older `-o json` did (the bare `Flow` object).
//!
//! A flow names both ends with their Kubernetes identity (`source` /
//! `destination`: namespace, pod_name, labels), the addresses (`IP`), the
//! ports (`l4.TCP|UDP|SCTP`), the verdict and, for `Type: L7`, the DNS query
//! or HTTP request Cilium's proxy saw. The source end becomes the event's
//! namespace, pod and source address; the rest goes to [`Network`].
//! The original document stays the record's fields.

use super::{text_at, Out};
use crate::event::{Event, Format, Location, Network, Record};
use crate::ingest::time::parse_rfc3339;
use serde_json::Value;

/// The flow inside a Hubble document, if `v` is one.
fn flow_of(v: &Value) -> Option<&Value> {
    let f = v.get("flow").unwrap_or(v);
    let is_flow = f.get("verdict").is_some_and(Value::is_string)
        && (f.get("IP").is_some() || f.get("l4").is_some() || f.get("l7").is_some())
        && (f.get("source").is_some() || f.get("destination").is_some() || f.get("Type").is_some());
    is_flow.then_some(f)
}

/// True for a Hubble flow document.
pub fn is_flow(v: &Value) -> bool {
    flow_of(v).is_some()
}

/// The protocol and ports of a flow's `l4` section.
fn layer4(f: &Value) -> (Option<String>, Option<u16>, Option<u16>) {
    let Some(l4) = f.get("l4").and_then(Value::as_object) else {
        return (None, None, None);
    };
    let Some((proto, ports)) = l4.iter().next() else {
        return (None, None, None);
    };
    let port = |k: &str| {
        ports
            .get(k)
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
    };
    (
        Some(proto.to_ascii_lowercase()),
        port("source_port"),
        port("destination_port"),
    )
}

/// `ip:port` (or the address alone).
fn address(ip: &Option<String>, port: Option<u16>) -> String {
    match (ip, port) {
        (Some(ip), Some(p)) => format!("{ip}:{p}"),
        (Some(ip), None) => ip.clone(),
        (None, _) => "?".to_string(),
    }
}

/// The address and, for a pod, `(namespace/pod)`: for the summary line.
fn end_text(
    ip: &Option<String>,
    port: Option<u16>,
    ns: &Option<String>,
    pod: &Option<String>,
) -> String {
    let addr = address(ip, port);
    match (ns, pod) {
        (Some(ns), Some(pod)) => format!("{addr} ({ns}/{pod})"),
        _ => addr,
    }
}

/// One Hubble document into a record.
pub fn convert(v: Value, location: Location, out: &mut Out) -> Result<(), String> {
    let f = flow_of(&v).ok_or("not a Hubble flow (no verdict, IP or l4)")?;
    let time_text = text_at(f, &["time"])
        .or_else(|| text_at(&v, &["time"]))
        .unwrap_or_default();
    let (protocol, src_port, dst_port) = layer4(f);
    let src_ip = text_at(f, &["IP", "source"]);
    let src_ns = text_at(f, &["source", "namespace"]);
    let src_pod = text_at(f, &["source", "pod_name"]);
    let mut net = Network {
        protocol,
        src_port,
        dst_ip: text_at(f, &["IP", "destination"]),
        dst_port,
        dst_namespace: text_at(f, &["destination", "namespace"]),
        dst_pod: text_at(f, &["destination", "pod_name"]),
        verdict: text_at(f, &["verdict"]),
        ..Default::default()
    };
    let mut event = Event {
        time_ns: parse_rfc3339(&time_text),
        time_text,
        host: text_at(f, &["node_name"]).or_else(|| text_at(&v, &["node_name"])),
        namespace: src_ns.clone(),
        pod: src_pod.clone(),
        source_ips: src_ip.iter().cloned().collect(),
        action: net.verdict.clone(),
        ..Default::default()
    };
    let dst = end_text(&net.dst_ip, net.dst_port, &net.dst_namespace, &net.dst_pod);
    let what = if let Some(query) = text_at(f, &["l7", "dns", "query"]) {
        let qtype = f
            .pointer("/l7/dns/qtypes/0")
            .and_then(Value::as_str)
            .map(str::to_string);
        net = net.with_query(&query, qtype.as_deref());
        event.object_name = net.query.clone();
        format!(
            "DNS {} {}",
            qtype.unwrap_or_default(),
            query.trim_end_matches('.')
        )
    } else if let Some(method) = text_at(f, &["l7", "http", "method"]) {
        let url = text_at(f, &["l7", "http", "url"]).unwrap_or_default();
        event.status = f
            .pointer("/l7/http/code")
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| *c > 0);
        event.object_name = Some(url.clone());
        format!("HTTP {method} {url}")
    } else {
        event.object_name = Some(address(&net.dst_ip, net.dst_port));
        net.protocol.as_deref().unwrap_or("ip").to_ascii_uppercase()
    };
    event.message = Some(
        format!(
            "{} -> {dst} {what} {}",
            end_text(&src_ip, net.src_port, &src_ns, &src_pod),
            net.verdict.as_deref().unwrap_or("")
        )
        .trim_end()
        .to_string(),
    );
    event.network = Some(Box::new(net));
    out.push(Record {
        format: Format::Hubble,
        event,
        fields: v,
        location,
    });
    Ok(())
}
