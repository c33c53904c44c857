//! Checks a hand-written line-header reader against the regex it replaced.

use regex::Regex;
use std::fmt::Debug;
use std::path::Path;

/// Each group `re` captures on `line`, then the text up to the match's end.
pub fn captured(re: &Regex, line: &str) -> Option<Vec<Option<String>>> {
    let c = re.captures(line)?;
    let end = c.get(0)?.end();
    let groups = c.iter().skip(1).map(|g| g.map(|g| g.as_str().to_string()));
    Some(groups.chain([Some(line[..end].to_string())]).collect())
}

/// A reader's parts, in the regex's order, to compare with [`captured`].
pub fn owned(parts: &[Option<&str>]) -> Vec<Option<String>> {
    parts.iter().map(|p| p.map(String::from)).collect()
}

/// `read` and `oracle` agree on every line of the shared `samples` and of
/// `crafted`, and on every crafted line and one sample line in a hundred cut
/// short at each of its first `reach` characters and with each of them
/// replaced by characters that matter to a header's grammar. Returns how
/// many texts were checked and how many `read` took as a header; `read` is
/// called once per text, so it can count what it does.
pub fn agree<T: PartialEq + Debug>(
    samples: &[&str],
    crafted: &[&str],
    reach: usize,
    read: impl Fn(&str) -> Option<T>,
    oracle: impl Fn(&str) -> Option<T>,
) -> (usize, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let texts: Vec<String> = samples
        .iter()
        .map(|p| std::fs::read_to_string(root.join(p)).expect("a shared sample"))
        .collect();
    let (mut checked, mut headers) = (0, 0);
    let mut check = |v: &str| {
        let got = read(v);
        headers += usize::from(got.is_some());
        assert_eq!(got, oracle(v), "{v:?}");
        checked += 1;
    };
    let sampled = texts.iter().flat_map(|t| t.lines()).enumerate();
    for (n, line) in sampled.chain(crafted.iter().map(|l| (0, *l))) {
        check(line);
        if n % 100 != 0 {
            continue;
        }
        for (i, c) in line.char_indices().take(reach) {
            check(&line[..i]);
            let rest = &line[i + c.len_utf8()..];
            for c in [
                "x", "X", " ", ".", "]", "[", ":", "<", ">", "9", "\t", "\u{a0}", "٣",
            ] {
                check(&format!("{}{c}{rest}", &line[..i]));
            }
        }
    }
    (checked, headers)
}
