//! Security facts in node authentication logs (auth.log / secure, or the
//! journal): sshd logins, sudo, su and the shadow tools. Shared by the
//! syslog and journald parsers, keyed by the program that wrote the line.
//!
//! Actions: `ssh_login_success`, `ssh_login_failed`, `ssh_invalid_user`,
//! `ssh_disconnect`, `ssh_connection_closed`, `ssh_break_in_attempt`,
//! `ssh_max_auth_exceeded`, `session_opened`, `session_closed`,
//! `sudo_command`, `sudo_failed`, `su_success`, `su_failed`,
//! `user_created`, `group_created`, `user_modified`, `group_member_added`,
//! `user_deleted`, `group_deleted`, `password_changed`. The extracted values
//! are added to the record's fields (`action`, `user`, `target_user`,
//! `source_ip`, `source_port`, `auth_method`, `command`, `tty`, `pwd`,
//! `uid`, `gid`, `home`, `shell`, `group`) next to the original text.

use crate::event::Event;
use regex::Regex;
use serde_json::Value;
use std::sync::OnceLock;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Facts {
    pub action: Option<&'static str>,
    pub success: Option<bool>,
    /// (field name, value) in extraction order.
    pub values: Vec<(&'static str, String)>,
}

impl Facts {
    fn get(&self, k: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.as_str())
    }

    /// Fills the normalized event.
    pub fn apply(&self, e: &mut Event) {
        if let Some(a) = self.action {
            e.action = Some(a.to_string());
        }
        if let Some(u) = self.get("user") {
            e.user = Some(u.to_string());
        }
        if let Some(ip) = self.get("source_ip") {
            e.source_ips = vec![ip.to_string()];
        }
        if self.success.is_some() {
            e.success = self.success;
        }
    }

    /// Adds the extracted values to a record's fields.
    pub fn insert_fields(&self, fields: &mut Value) {
        let Some(obj) = fields.as_object_mut() else {
            return;
        };
        if let Some(a) = self.action {
            obj.insert("action".into(), a.into());
        }
        for (k, v) in &self.values {
            obj.entry(k.to_string()).or_insert_with(|| v.clone().into());
        }
    }
}

struct Rule {
    re: Regex,
    action: &'static str,
    success: Option<bool>,
    /// Capture group names map to field names directly.
    programs: &'static [&'static str],
}

fn rules() -> &'static [Rule] {
    static R: OnceLock<Vec<Rule>> = OnceLock::new();
    R.get_or_init(|| {
        let r = |re: &str, action, success, programs| Rule {
            re: Regex::new(re).expect("auth regex"),
            action,
            success,
            programs,
        };
        const SSHD: &[&str] = &["sshd"];
        const SUDO: &[&str] = &["sudo"];
        const SU: &[&str] = &["su"];
        const SHADOW: &[&str] = &["useradd", "usermod", "groupadd", "userdel", "groupdel", "passwd", "chpasswd", "gpasswd", "groupmod"];
        vec![
            r(r"^Accepted (?P<auth_method>\S+) for (?P<user>\S+) from (?P<source_ip>\S+) port (?P<source_port>\d+)", "ssh_login_success", Some(true), SSHD),
            r(r"^Failed (?P<auth_method>\S+) for (?:invalid user )?(?P<user>\S+) from (?P<source_ip>\S+) port (?P<source_port>\d+)", "ssh_login_failed", Some(false), SSHD),
            r(r"^Invalid user (?P<user>\S*) from (?P<source_ip>\S+)(?: port (?P<source_port>\d+))?", "ssh_invalid_user", Some(false), SSHD),
            r(r"^(?:error: )?maximum authentication attempts exceeded for (?:invalid user )?(?P<user>\S+) from (?P<source_ip>\S+) port (?P<source_port>\d+)", "ssh_max_auth_exceeded", Some(false), SSHD),
            r(r"^reverse mapping checking getaddrinfo for \S+ \[(?P<source_ip>[^\]]+)\] failed - POSSIBLE BREAK-IN ATTEMPT", "ssh_break_in_attempt", None, SSHD),
            r(r"^Received disconnect from (?P<source_ip>\S+?)(?: port (?P<source_port>\d+))?:", "ssh_disconnect", None, SSHD),
            r(r"^Disconnected from (?:(?:invalid|authenticating) user |user )?(?:(?P<user>\S+) )?(?P<source_ip>[0-9a-fA-F:.]+) port (?P<source_port>\d+)", "ssh_disconnect", None, SSHD),
            r(r"^Connection closed by (?:(?:invalid|authenticating) user )?(?:(?P<user>\S+) )?(?P<source_ip>[0-9a-fA-F:.]+) port (?P<source_port>\d+)", "ssh_connection_closed", None, SSHD),
            r(r"authentication failure;.*?rhost=(?P<source_ip>\S+)(?:\s+user=(?P<user>\S+))?", "ssh_login_failed", Some(false), SSHD),
            r(r"session opened for user (?P<target_user>[^\s(]+)(?:\(uid=\d+\))?(?: by (?P<user>[^\s(]*))?", "session_opened", Some(true), &["sshd", "sudo", "su", "login", "cron", "systemd"]),
            r(r"session closed for user (?P<target_user>[^\s(]+)", "session_closed", None, &["sshd", "sudo", "su", "login", "cron", "systemd"]),
            r(r"^\s*(?P<user>\S+) : (?:\d+ incorrect password attempts?|user NOT in sudoers|command not allowed)", "sudo_failed", Some(false), SUDO),
            r(r"^\s*(?P<user>\S+) : (?:.*?; )?TTY=(?P<tty>\S+) ; PWD=(?P<pwd>.*?) ; USER=(?P<target_user>\S+) ;(?:.*?;)? COMMAND=(?P<command>.*)$", "sudo_command", Some(true), SUDO),
            r(r"^(?:Successful su|\(to (?P<target_user2>\S+)\)) for (?P<target_user>\S+) by (?P<user>\S+)", "su_success", Some(true), SU),
            r(r"^(?:FAILED (?:SU|su)|FAILED su) (?:\(to (?P<target_user2>\S+)\) )?(?:for (?P<target_user>\S+) )?by (?P<user>\S+)", "su_failed", Some(false), SU),
            r(r"^\+ \S+ (?P<user>[^:\s]+):(?P<target_user>\S+)", "su_success", Some(true), SU),
            r(r"^\(to (?P<target_user>\S+)\) (?P<user>\S+) on (?P<tty>\S+)", "su_success", Some(true), SU),
            r(r"^FAILED (?:SU|su) \(to (?P<target_user>\S+)\) (?P<user>\S+) on (?P<tty>\S+)", "su_failed", Some(false), SU),
            r(r"^new user: name=(?P<target_user>[^,]+), UID=(?P<uid>\d+), GID=(?P<gid>\d+), home=(?P<home>[^,]+), shell=(?P<shell>[^,\s]+)", "user_created", None, SHADOW),
            r(r"^(?:new group|group added to /etc/group): name=(?P<group>[^,]+), GID=(?P<gid>\d+)", "group_created", None, SHADOW),
            r(r"^add '(?P<target_user>[^']+)' to (?:shadow )?group '(?P<group>[^']+)'", "group_member_added", None, SHADOW),
            r(r"^change user '(?P<target_user>[^']+)'", "user_modified", None, SHADOW),
            r(r"^delete user '(?P<target_user>[^']+)'", "user_deleted", None, SHADOW),
            r(r"^(?:removed group|group) '(?P<group>[^']+)' removed", "group_deleted", None, SHADOW),
            r(r"(?:password changed for|pam_unix\(passwd:chauthtok\): password changed for) (?P<target_user>\S+)", "password_changed", None, SHADOW),
        ]
    })
}

/// The base name of a program tag: `sshd(pam_unix)` → `sshd`, `/usr/sbin/sshd` → `sshd`.
pub fn base_program(program: &str) -> &str {
    let p = program.split(['(', '[']).next().unwrap_or(program);
    p.rsplit('/').next().unwrap_or(p)
}

/// Extracts security facts from `message` written by `program`.
pub fn extract(program: &str, message: &str) -> Facts {
    let prog = base_program(program);
    let mut msg = message.trim();
    // "message repeated 3 times: [ Failed password for ...]"
    if let Some(rest) = msg.strip_prefix("message repeated ") {
        if let Some(i) = rest.find("[ ") {
            msg = rest[i + 2..].trim_end_matches(']').trim();
        }
    }
    // pam_unix(sshd:auth): ... → its own service decides
    let prog = match msg
        .strip_prefix("pam_unix(")
        .and_then(|r| r.split_once(':'))
    {
        Some((svc, _)) => svc,
        None => prog,
    };
    for rule in rules() {
        if !rule.programs.contains(&prog) {
            continue;
        }
        if let Some(c) = rule.re.captures(msg) {
            let mut facts = Facts {
                action: Some(rule.action),
                success: rule.success,
                values: Vec::new(),
            };
            for name in rule.re.capture_names().flatten() {
                if let Some(m) = c.name(name) {
                    let field = if name == "target_user2" {
                        "target_user"
                    } else {
                        name
                    };
                    if !m.as_str().is_empty() && facts.get(field).is_none() {
                        facts
                            .values
                            .push((static_name(field), m.as_str().trim().to_string()));
                    }
                }
            }
            // su/sudo sessions: "by bob(uid=1000)" → user bob
            if rule.action == "session_opened" && prog == "su" {
                facts.action = Some("su_session_opened");
            }
            return facts;
        }
    }
    Facts::default()
}

fn static_name(n: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "user",
        "target_user",
        "source_ip",
        "source_port",
        "auth_method",
        "command",
        "tty",
        "pwd",
        "uid",
        "gid",
        "home",
        "shell",
        "group",
    ];
    NAMES.iter().find(|k| **k == n).copied().unwrap_or("value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sshd_sudo_su_useradd() {
        let f = extract(
            "sshd",
            "Failed password for invalid user admin from 1.2.3.4 port 2222 ssh2",
        );
        assert_eq!(f.action, Some("ssh_login_failed"));
        assert_eq!(f.get("user"), Some("admin"));
        assert_eq!(f.get("source_ip"), Some("1.2.3.4"));
        assert_eq!(f.get("source_port"), Some("2222"));
        let f = extract(
            "sshd",
            "Accepted publickey for bob from 10.0.0.5 port 50000 ssh2: RSA SHA256:x",
        );
        assert_eq!(
            (f.action, f.get("auth_method")),
            (Some("ssh_login_success"), Some("publickey"))
        );
        let f = extract("sshd", "Invalid user webmaster from 173.234.31.186");
        assert_eq!(f.action, Some("ssh_invalid_user"));
        let f = extract(
            "sudo",
            "timstack : TTY=pts/6 ; PWD=/auto/w ; USER=root ; COMMAND=/usr/bin/tail /var/log/messages",
        );
        assert_eq!(f.action, Some("sudo_command"));
        assert_eq!(f.get("target_user"), Some("root"));
        assert_eq!(f.get("command"), Some("/usr/bin/tail /var/log/messages"));
        let f = extract(
            "su",
            "pam_unix(su:session): session opened for user root by bob(uid=1000)",
        );
        assert_eq!(
            (f.action, f.get("user"), f.get("target_user")),
            (Some("su_session_opened"), Some("bob"), Some("root"))
        );
        let f = extract(
            "useradd",
            "new user: name=john, UID=0, GID=0, home=/home/john, shell=/bin/bash",
        );
        assert_eq!((f.action, f.get("uid")), (Some("user_created"), Some("0")));
        let f = extract(
            "sshd(pam_unix)",
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
        );
        assert_eq!(
            (f.action, f.get("source_ip")),
            (Some("ssh_login_failed"), Some("218.188.2.4"))
        );
        assert_eq!(extract("cron", "hello"), Facts::default());
    }
}
