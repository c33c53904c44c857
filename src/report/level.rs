//! Sigma's levels, ordered, for `--min-level`, `--fail-on` and the exports
//! that map them (SARIF levels, colours, Navigator scores).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    /// Lowest first.
    pub const ALL: [Level; 5] = [
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// The level of a finding; a name Sigma does not define counts as
    /// `medium`, the level the detector gives rules that state none.
    pub fn of(name: &str) -> Level {
        name.parse().unwrap_or(Level::Medium)
    }

    /// 1 (informational) to 5 (critical).
    pub fn rank(self) -> u8 {
        self as u8 + 1
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Level, String> {
        let s = s.trim();
        Level::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown level {s:?}: expected one of {}",
                    Level::ALL.map(Level::name).join(", ")
                )
            })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_and_parsed() {
        assert!(Level::Critical > Level::High && Level::Low > Level::Informational);
        assert_eq!("HIGH".parse::<Level>(), Ok(Level::High));
        assert!("severe".parse::<Level>().unwrap_err().contains("critical"));
        assert_eq!(Level::of("nonsense"), Level::Medium);
        assert_eq!(Level::Informational.rank(), 1);
        assert_eq!(Level::Critical.rank(), 5);
    }
}
