//! Logsource routing: which records a rule may see.
//!
//! Sigma rules say what log they were written for (`logsource`), and a rule
//! run against the wrong log either never fires or, worse, fires on keyword
//! coincidences. rsigma's own logsource pruning is conflict-based (a rule is
//! skipped only when both sides name a different value), which would let
//! e.g. Linux keyword rules run over audit events. So Spoor routes itself:
//! every rule is classified once into a [`Route`] (a family of formats plus,
//! for program-specific Linux services, the syslog programs it is about),
//! the detector keeps one rsigma `Engine` per route, and each record is only
//! evaluated by the engines whose route accepts it.

use crate::event::{Format, Record};
use rsigma_parser::LogSource;

/// A group of formats that carry the same kind of log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// API server audit log, native or as a cloud exports it.
    Audit,
    /// Node logs: syslog lines and the journal.
    NodeLog,
    /// Falco alerts.
    Falco,
    /// Container stdout/stderr (CRI or Docker json-file).
    Container,
    /// Kubelet / control-plane component logs (klog).
    Kubelet,
    /// Kubernetes Event objects.
    Events,
    /// Network flows: who connected to whom on which port (Hubble, VPC).
    Flow,
    /// DNS queries (CoreDNS query log, Hubble DNS flows).
    Dns,
    /// HTTP requests at the cluster's edge (ingress-nginx access log).
    Ingress,
}

impl Family {
    pub fn accepts(self, format: Format) -> bool {
        match self {
            Family::Audit => format.is_audit(),
            Family::NodeLog => matches!(format, Format::Syslog | Format::Journald),
            Family::Falco => format == Format::Falco,
            Family::Container => format.is_container(),
            Family::Kubelet => format == Format::Klog,
            Family::Events => format == Format::K8sEvents,
            Family::Flow => format.is_flow(),
            Family::Dns => matches!(format, Format::CoreDns | Format::Hubble),
            Family::Ingress => format == Format::IngressNginx,
        }
    }

    /// The family in plain words, for coverage notes.
    pub fn label(self) -> &'static str {
        match self {
            Family::Audit => "API server audit log",
            Family::NodeLog => "node logs (syslog, journal)",
            Family::Falco => "Falco alerts",
            Family::Container => "container logs",
            Family::Kubelet => "kubelet and control-plane logs",
            Family::Events => "Kubernetes Events",
            Family::Flow => "network flows (Hubble, VPC flow logs)",
            Family::Dns => "DNS query logs (CoreDNS, Hubble DNS)",
            Family::Ingress => "ingress access logs (ingress-nginx)",
        }
    }

    pub fn formats(self) -> impl Iterator<Item = Format> {
        Format::ALL.into_iter().filter(move |f| self.accepts(*f))
    }
}

/// Where a rule applies: a family, optionally narrowed to records written by
/// some programs (lowercase names). Records whose program is unknown are
/// accepted: the parsers do not always know it, and missing a real attack is
/// worse than one rule looking at a few extra lines.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Route {
    pub family: Family,
    pub programs: Option<Vec<String>>,
}

impl Route {
    fn family(family: Family) -> Route {
        Route {
            family,
            programs: None,
        }
    }

    /// Whether a record with this format and program is in scope.
    pub fn accepts(&self, format: Format, program: Option<&str>) -> bool {
        if !self.family.accepts(format) {
            return false;
        }
        match (&self.programs, program) {
            (Some(names), Some(p)) => names.iter().any(|n| n.eq_ignore_ascii_case(p)),
            _ => true,
        }
    }
}

fn lower(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
}

/// The syslog programs a `product: linux` service is about; `None` for
/// services that are whole log files rather than one program.
fn linux_service_programs(service: &str) -> Option<Vec<String>> {
    let names: &[&str] = match service {
        "syslog" | "auth" | "authpriv" | "messages" | "journald" | "kern" | "kernel" => {
            return None;
        }
        "sshd" | "ssh" => &["sshd"],
        "cron" => &["cron", "crond", "anacron", "crontab"],
        "sudo" => &["sudo"],
        "su" => &["su"],
        "vsftpd" => &["vsftpd"],
        "clamav" => &["clamd", "freshclam", "clamav", "clamav-daemon", "clamscan"],
        "guacamole" => &["guacd", "guacamole", "tomcat", "tomcat9", "catalina"],
        "named" | "bind" => &["named"],
        "useradd" | "usermod" | "groupadd" => &["useradd", "usermod", "groupadd", "userdel"],
        // Any other service: assume it is named after its program.
        other => return Some(vec![other.to_string()]),
    };
    Some(names.iter().map(|s| s.to_string()).collect())
}

/// Classify a rule's logsource; `None` means no format Spoor reads carries it.
pub fn route_for(ls: &LogSource) -> Option<Route> {
    let product = lower(&ls.product);
    let service = lower(&ls.service);
    let category = lower(&ls.category);
    match product.as_deref() {
        Some("kubernetes") | Some("k8s") => {
            // `category: application` is how SigmaHQ files the audit rules.
            let category_ok = matches!(category.as_deref(), None | Some("application"));
            match service.as_deref() {
                Some("audit") | None if category_ok => Some(Route::family(Family::Audit)),
                Some("kubelet") | Some("klog") => Some(Route::family(Family::Kubelet)),
                Some("container") | Some("containers") => Some(Route::family(Family::Container)),
                Some("events") | Some("event") => Some(Route::family(Family::Events)),
                // Spoor's own network services (rules/builtin/network.yml).
                Some("network") | Some("flow") => Some(Route::family(Family::Flow)),
                Some("dns") => Some(Route::family(Family::Dns)),
                Some("ingress") => Some(Route::family(Family::Ingress)),
                _ if category.as_deref() == Some("container") => {
                    Some(Route::family(Family::Container))
                }
                _ => None,
            }
        }
        Some("linux") => {
            // Categories (process_creation, file_event, ...) come from auditd,
            // Sysmon for Linux or EDR telemetry, which Spoor does not read.
            if category.is_some() {
                return None;
            }
            match service.as_deref() {
                None => Some(Route::family(Family::NodeLog)),
                Some("auditd") | Some("auditbeat") | Some("sysmon") => None,
                Some(s) => Some(Route {
                    family: Family::NodeLog,
                    programs: linux_service_programs(s),
                }),
            }
        }
        Some("falco") => Some(Route::family(Family::Falco)),
        Some("container") | Some("docker") | Some("containerd") | Some("cri") => {
            Some(Route::family(Family::Container))
        }
        None if category.as_deref() == Some("container") => Some(Route::family(Family::Container)),
        _ => None,
    }
}

/// "product: aws, service: cloudtrail" — for notices.
pub fn describe(ls: &LogSource) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("category", &ls.category),
        ("product", &ls.product),
        ("service", &ls.service),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}: {v}"));
        }
    }
    if parts.is_empty() {
        "(none)".to_string()
    } else {
        parts.join(", ")
    }
}

/// Field names syslog and journald parsers use for the writing program.
const PROGRAM_FIELDS: &[&str] = &[
    "program",
    "ident",
    "app_name",
    "appname",
    "app",
    "SYSLOG_IDENTIFIER",
    "syslog_identifier",
    "_COMM",
    "process",
    "tag",
];

/// The program that wrote a node-log record, if the parser recorded it
/// (`sshd[1234]` and `sshd(pam_unix)` are returned as `sshd`).
pub fn record_program(record: &Record) -> Option<&str> {
    let obj = record.fields.as_object()?;
    for key in PROGRAM_FIELDS {
        if let Some(s) = obj.get(*key).and_then(|v| v.as_str()) {
            let s = s.trim();
            // `sshd[1234]:` and `sshd(pam_unix)` → `sshd`
            let s = s
                .split(['[', '('])
                .next()
                .unwrap_or(s)
                .trim_end_matches(':');
            // `/usr/sbin/sshd` → `sshd`
            let s = s.rsplit('/').next().unwrap_or(s);
            if !s.is_empty() {
                return Some(s);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(category: Option<&str>, product: Option<&str>, service: Option<&str>) -> LogSource {
        LogSource {
            category: category.map(String::from),
            product: product.map(String::from),
            service: service.map(String::from),
            definition: None,
            custom: Default::default(),
        }
    }

    #[test]
    fn classifies_logsources() {
        let audit = route_for(&ls(Some("application"), Some("kubernetes"), Some("audit"))).unwrap();
        assert_eq!(audit.family, Family::Audit);
        for f in [
            Format::K8sAudit,
            Format::K8sAuditEks,
            Format::K8sAuditAks,
            Format::K8sAuditGke,
        ] {
            assert!(audit.accepts(f, None));
        }
        assert!(!audit.accepts(Format::Syslog, None));

        let sshd = route_for(&ls(None, Some("linux"), Some("sshd"))).unwrap();
        assert!(sshd.accepts(Format::Syslog, Some("sshd")));
        assert!(sshd.accepts(Format::Journald, None));
        assert!(!sshd.accepts(Format::Syslog, Some("cron")));
        assert!(!sshd.accepts(Format::K8sAudit, None));

        let any_linux = route_for(&ls(None, Some("linux"), None)).unwrap();
        assert!(any_linux.accepts(Format::Syslog, Some("cron")));

        assert!(route_for(&ls(Some("process_creation"), Some("linux"), None)).is_none());
        assert!(route_for(&ls(None, Some("aws"), Some("cloudtrail"))).is_none());
        assert!(route_for(&ls(None, Some("azure"), Some("activitylogs"))).is_none());
        assert_eq!(
            route_for(&ls(None, Some("falco"), None)).unwrap().family,
            Family::Falco
        );
        assert_eq!(
            route_for(&ls(Some("container"), None, None))
                .unwrap()
                .family,
            Family::Container
        );
        let flows = route_for(&ls(None, Some("kubernetes"), Some("network"))).unwrap();
        assert!(flows.accepts(Format::Hubble, None) && flows.accepts(Format::VpcFlow, None));
        assert!(!flows.accepts(Format::CoreDns, None));
        let dns = route_for(&ls(None, Some("kubernetes"), Some("dns"))).unwrap();
        assert!(dns.accepts(Format::CoreDns, None) && dns.accepts(Format::Hubble, None));
        assert!(!dns.accepts(Format::Cri, None));
        let ingress = route_for(&ls(None, Some("kubernetes"), Some("ingress"))).unwrap();
        assert!(ingress.accepts(Format::IngressNginx, None));
        assert!(!ingress.accepts(Format::DockerJson, None));
        assert_eq!(
            route_for(&ls(None, Some("kubernetes"), Some("kubelet")))
                .unwrap()
                .family,
            Family::Kubelet
        );
    }
}
