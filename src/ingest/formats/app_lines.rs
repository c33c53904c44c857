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

/// The parts `coredns_re` captures (client, port, id, type, class, name,
/// proto, size, do, bufsize, rcode, rflags, rsize, duration).
type CoreDnsParts<'m> = [&'m str; 14];

/// The parts of a CoreDNS query line, read by hand when the line has the
/// plugin's usual shape (ASCII, fields one space apart: the regex's capture
/// engine was 6 % of a scan of node and container logs), else by the regex.
fn coredns_parts(m: &str) -> Option<CoreDnsParts<'_>> {
    usual_coredns(m).or_else(|| {
        let c = coredns_re().captures(m)?;
        Some(std::array::from_fn(|i| {
            c.get(i + 1).map_or("", |g| g.as_str())
        }))
    })
}

/// [`coredns_parts`] for the usual shape only; `None` for anything else,
/// which the regex decides. Never returns parts the regex would not: in
/// this shape each of its groups can only match one field.
fn usual_coredns(m: &str) -> Option<CoreDnsParts<'_>> {
    let spaced = m.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    if !spaced || m.contains("  ") || m.ends_with(' ') {
        return None;
    }
    let rest = ["[INFO] ", "[DEBUG] ", "[WARNING] ", "[ERROR] "]
        .iter()
        .find_map(|level| m.strip_prefix(level))?;
    let rest = rest.strip_prefix("plugin/log: ").unwrap_or(rest);
    let (client, rest) = match rest.strip_prefix('[') {
        Some(r) => r.split_once("]:")?,
        None => rest.split_once(':')?,
    };
    let address = |c: u8| c.is_ascii_hexdigit() || c == b'.' || c == b':';
    if client.is_empty() || !client.bytes().all(address) {
        return None;
    }
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (port, rest) = rest.split_once(" - ")?;
    let (id, rest) = rest.split_once(" \"")?;
    let mut fields = rest.split(' ');
    let [qtype, class, name, proto, size, dnssec, bufsize, rcode, rflags, rsize, duration] =
        std::array::from_fn(|_| fields.next().unwrap_or_default());
    let bufsize = bufsize.strip_suffix('"')?;
    let seconds = duration.strip_suffix('s')?;
    let timed = !seconds.is_empty() && seconds.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let numbers = [port, id, size, bufsize, rsize].into_iter().all(number);
    if fields.next().is_some() || qtype.is_empty() || !numbers || !timed {
        return None;
    }
    Some([
        client, port, id, qtype, class, name, proto, size, dnssec, bufsize, rcode, rflags, rsize,
        duration,
    ])
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
    let Some(parts) = record.event.message.as_deref().and_then(coredns_parts) else {
        return;
    };
    let [client, port, id, qtype, class, name, proto, size, dnssec_ok, bufsize, rcode, rflags, rsize, duration] =
        parts;
    let number = |s: &str| s.parse::<u64>().ok();
    let fields = json!({
        "client_ip": client, "client_port": number(port), "id": id, "type": qtype,
        "class": class, "name": name, "proto": proto, "size": number(size),
        "do": dnssec_ok == "true", "bufsize": number(bufsize), "rcode": rcode,
        "rflags": rflags, "rsize": number(rsize), "duration": duration,
    });
    let net = Network {
        protocol: Some(proto.to_string()),
        src_port: port.parse().ok(),
        ..Default::default()
    }
    .with_query(name, Some(qtype));
    record.event.source_ips = vec![client.to_string()];
    record.event.action = Some(rcode.to_string());
    record.event.object_name = net.query.clone();
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
    use crate::ingest::formats::header_check::{agree, captured, owned};

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

    /// CoreDNS lines read by hand where they have the usual shape and by
    /// the regex otherwise agree with the regex alone, also cut short and
    /// with each character replaced; the hand-written reader takes most.
    #[test]
    fn coredns_lines_read_by_hand_agree_with_the_regex() {
        let by_hand = std::cell::Cell::new(0);
        let read = |m: &str| {
            by_hand.set(by_hand.get() + usize::from(usual_coredns(m).is_some()));
            let parts = owned(&coredns_parts(m)?.map(Some));
            // The regex ends at `$`: its match is the whole line.
            Some(
                parts
                    .into_iter()
                    .chain([Some(m.to_string())])
                    .collect::<Vec<_>>(),
            )
        };
        let (checked, read_as_coredns) = agree(
            &[],
            &[
                r#"[INFO] 10.244.1.5:52311 - 4242 "A IN example.com. udp 29 false 512" NOERROR qr,rd,ra 100 0.000112s"#,
                r#"[INFO] [::1]:50759 - 29008 "HINFO IN 1.2.3.in-addr.arpa. udp 57 false 512" NXDOMAIN qr,rd 57 0.1s"#,
                r#"[ERROR] plugin/log: [fe80::1:2]:53 - 1 "AAAA IN a"b. tcp 1 true 4096" SERVFAIL qr 0 1.s"#,
                r#"[DEBUG] 10.0.0.1]:53 - 7 "A IN x. udp 1 false 512" NOERROR qr 1 0.5s"#,
                r#"[WARNING] 10.0.0.1:53 - 7 "A IN x. udp 1 false 512" NOERROR qr 1 0.5s   "#,
                "[INFO] 10.0.0.1:53 - 7 \"A IN x.\tudp 1 false 512\" NOERROR qr 1 0.5s",
                r#"[INFO] 1:2:3 - 4 - 5 "A IN x. udp 1 false 512" NOERROR qr 1 0.5s"#,
                r#"[INFO] 10.0.0.1:53 - 7 "A IN x. udp 1 false 512" NOERROR qr 1 0.5s 0.5s"#,
                r#"[INFO] plugin/kubernetes: pkg/mod/k8s.io/client-go: watch of *v1.Namespace ended"#,
            ],
            200,
            read,
            |m: &str| captured(coredns_re(), m),
        );
        assert!(
            checked > 8_000 && read_as_coredns > 1_000,
            "{read_as_coredns} of {checked}"
        );
        assert!(
            by_hand.get() * 2 > read_as_coredns,
            "{} of {read_as_coredns}",
            by_hand.get()
        );
    }

    #[test]
    fn coredns_query_line() {
        let r = record(
            r#"[INFO] 10.244.1.5:52311 - 4242 "A IN Example.COM. udp 29 false 512" NOERROR qr,rd,ra 100 0.000112s"#,
        );
        assert_eq!(r.format, Format::CoreDns);
        let n = r.event.network.as_deref().unwrap();
        assert_eq!(n.query.as_deref(), Some("example.com"));
        assert_eq!(n.query_domain.as_deref(), Some("example.com"));
        assert_eq!(r.event.source_ips, vec!["10.244.1.5"]);
        assert_eq!(r.event.action.as_deref(), Some("NOERROR"));
        assert_eq!(
            (n.protocol.as_deref(), n.src_port),
            (Some("udp"), Some(52311))
        );
        assert_eq!(
            r.fields["coredns"],
            json!({
                "client_ip": "10.244.1.5", "client_port": 52311, "id": "4242", "type": "A",
                "class": "IN", "name": "Example.COM.", "proto": "udp", "size": 29,
                "do": false, "bufsize": 512, "rcode": "NOERROR", "rflags": "qr,rd,ra",
                "rsize": 100, "duration": "0.000112s",
            })
        );
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
