//! Container lines whose message Spoor understands beyond text: the
//! CoreDNS `log` plugin and the ingress-nginx access log. They are
//! recognised by content (not by pod name: deployments get renamed), keep
//! their container metadata and fields, and become records of format
//! `coredns` / `ingress-nginx` with the parsed parts added under
//! `coredns` / `nginx` and in the normalized event.
//!
//! - CoreDNS: `[INFO] 10.244.1.5:52311 - 4242 "A IN example.com. udp 29
//!   false 512" NOERROR qr,rd,ra 100 0.000112s` (the plugin's default
//!   `{remote}:{port} - {>id} "{type} {class} {name} {proto} {size} {>do}
//!   {>bufsize}" {rcode} {>rflags} {rsize} {duration}`).
//! - ingress-nginx: its default `log-format-upstream`: `$remote_addr -
//!   $remote_user [$time_local] "$request" $status $body_bytes_sent
//!   "$http_referer" "$http_user_agent" $request_length $request_time
//!   [$proxy_upstream_name] [$proxy_alternative_upstream_name]
//!   $upstream_addr $upstream_response_length $upstream_response_time
//!   $upstream_status $req_id`.

use crate::event::{Format, Network, Record};
use regex::Regex;
use serde_json::{json, Value};
use std::sync::OnceLock;

fn coredns_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"^\[(?:INFO|DEBUG|WARNING|ERROR)\] (?:plugin/log: )?\[?([0-9A-Fa-f.:]+?)\]?:(\d+) - (\d+) "(\S+) (\S+) (\S+) (\S+) (\d+) (\S+) (\d+)" (\S+) (\S+) (\d+) ([0-9.]+s)\s*$"#,
        )
        .expect("static regex")
    })
}

fn nginx_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"^(\S+) - (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" (\d+) ([0-9.]+|-) \[([^\]]*)\] \[([^\]]*)\] (\S+(?:, \S+)*) (\S+(?:, \S+)*) (\S+(?:, \S+)*) (\S+(?:, \S+)*) (\S+)\s*$"#,
        )
        .expect("static regex")
    })
}

/// Reads the message of a container record as CoreDNS or ingress-nginx,
/// when it is one; other records are left as they are.
pub fn recognise(record: &mut Record) {
    let Some(message) = record.event.message.as_deref() else {
        return;
    };
    if message.starts_with('[') {
        coredns(record);
    } else if message
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_hexdigit)
    {
        ingress_nginx(record);
    }
}

fn insert(record: &mut Record, key: &str, value: Value) {
    if let Value::Object(o) = &mut record.fields {
        o.insert(key.to_string(), value);
    }
}

fn coredns(record: &mut Record) {
    let Some(c) = record
        .event
        .message
        .as_deref()
        .and_then(|m| coredns_re().captures(m))
    else {
        return;
    };
    let g = |i: usize| c.get(i).map_or("", |m| m.as_str()).to_string();
    let (client, port, name, qtype, proto, rcode) = (g(1), g(2), g(6), g(4), g(7), g(11));
    let fields = json!({
        "client_ip": client, "client_port": port.parse::<u64>().ok(), "id": g(3), "type": qtype,
        "class": g(5), "name": name, "proto": proto, "size": g(8).parse::<u64>().ok(),
        "do": g(9) == "true", "bufsize": g(10).parse::<u64>().ok(), "rcode": rcode,
        "rflags": g(12), "rsize": g(13).parse::<u64>().ok(), "duration": g(14),
    });
    let net = Network {
        protocol: Some(proto),
        src_port: port.parse().ok(),
        ..Default::default()
    }
    .with_query(&name, Some(&qtype));
    record.event.object_name = net.query.clone();
    record.event.source_ips = vec![client];
    record.event.action = Some(rcode);
    record.event.network = Some(Box::new(net));
    record.format = Format::CoreDns;
    insert(record, "coredns", fields);
}

/// `10.0.0.1:8080` → address and port (`[::1]:80` too).
fn split_host_port(s: &str) -> Option<(String, Option<u16>)> {
    if s == "-" || s.is_empty() {
        return None;
    }
    match s.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.is_empty() => Some((
            h.trim_start_matches('[').trim_end_matches(']').to_string(),
            p.parse().ok(),
        )),
        _ => Some((s.to_string(), None)),
    }
}

fn ingress_nginx(record: &mut Record) {
    let Some(c) = record
        .event
        .message
        .as_deref()
        .and_then(|m| nginx_re().captures(m))
    else {
        return;
    };
    let g = |i: usize| c.get(i).map_or("", |m| m.as_str()).to_string();
    let request = g(4);
    let mut parts = request.splitn(3, ' ');
    let (method, uri, protocol) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let upstream = g(13);
    let first_upstream = upstream.split(", ").next().unwrap_or("");
    let (dst_ip, dst_port) = split_host_port(first_upstream).unzip();
    let fields = json!({
        "remote_addr": g(1), "remote_user": g(2), "time_local": g(3), "request": request,
        "method": method, "uri": uri, "protocol": protocol, "status": g(5).parse::<u64>().ok(),
        "body_bytes_sent": g(6).parse::<u64>().ok(), "http_referer": g(7), "http_user_agent": g(8),
        "request_length": g(9).parse::<u64>().ok(), "request_time": g(10),
        "proxy_upstream_name": g(11), "proxy_alternative_upstream_name": g(12),
        "upstream_addr": upstream, "upstream_response_length": g(14),
        "upstream_response_time": g(15), "upstream_status": g(16), "req_id": g(17),
    });
    let net = Network {
        protocol: Some("http".into()),
        dst_ip,
        dst_port: dst_port.flatten(),
        bytes: g(6).parse().ok(),
        ..Default::default()
    };
    let user = g(2);
    record.event.source_ips = vec![g(1)];
    record.event.user = (user != "-").then_some(user);
    record.event.action = (!method.is_empty()).then_some(method);
    record.event.object_name = (!uri.is_empty()).then_some(uri);
    record.event.status = g(5).parse().ok();
    record.event.user_agent = Some(g(8)).filter(|a| a != "-" && !a.is_empty());
    record.event.network = Some(Box::new(net));
    record.format = Format::IngressNginx;
    insert(record, "nginx", fields);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Location};

    fn record(message: &str) -> Record {
        let mut r = Record {
            format: Format::Cri,
            event: Event {
                message: Some(message.into()),
                ..Default::default()
            },
            fields: json!({"log": message}),
            location: Location::default(),
        };
        recognise(&mut r);
        r
    }

    #[test]
    fn coredns_query_line() {
        let r = record(
            r#"[INFO] 10.244.1.5:52311 - 4242 "A IN Example.COM. udp 29 false 512" NOERROR qr,rd,ra 100 0.000112s"#,
        );
        assert_eq!(r.format, Format::CoreDns);
        let n = r.event.network.unwrap();
        assert_eq!(n.query.as_deref(), Some("example.com"));
        assert_eq!(n.query_domain.as_deref(), Some("example.com"));
        assert_eq!(r.event.source_ips, vec!["10.244.1.5"]);
        assert_eq!(r.fields["coredns"]["rcode"], "NOERROR");
        let v6 = record(
            r#"[INFO] [::1]:50759 - 29008 "AAAA IN x.svc. tcp 44 true 4096" NXDOMAIN qr,aa 111 0.000085s"#,
        );
        assert_eq!(v6.event.source_ips, vec!["::1"]);
        // Other CoreDNS output stays a container line.
        assert_eq!(
            record("[INFO] plugin/reload: Running configuration SHA512 = 1").format,
            Format::Cri
        );
    }

    #[test]
    fn ingress_nginx_access_line() {
        let r = record(
            r#"203.0.113.9 - - [12/Mar/2024:10:15:32 +0000] "GET /shop/../../etc/passwd HTTP/1.1" 400 150 "-" "Mozilla/5.0 (compatible; Nmap Scripting Engine)" 312 0.000 [shop-web-80] [] 10.244.2.7:8080, 10.244.2.8:8080 0, 150 0.000, 0.001 502, 400 5f1c2d"#,
        );
        assert_eq!(r.format, Format::IngressNginx);
        assert_eq!(
            r.event.object_name.as_deref(),
            Some("/shop/../../etc/passwd")
        );
        assert_eq!(r.event.status, Some(400));
        let n = r.event.network.unwrap();
        assert_eq!(
            (n.dst_ip.as_deref(), n.dst_port),
            (Some("10.244.2.7"), Some(8080))
        );
        assert_eq!(record("10.0.0.1 said hello").format, Format::Cri);
    }
}
