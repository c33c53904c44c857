//! Tokenizing and masking: a message becomes whitespace tokens in which the
//! obvious variables are replaced by `<*>` before any clustering.
//!
//! Masking works inside tokens: a token is cut at structural characters
//! (`=`, brackets, quotes, `,`, `;`, `|`, a trailing `:` or `.`) and each
//! piece between them is replaced when it is a value by its *shape*, so
//! `rhost=218.188.2.4` becomes `rhost=<*>` and `sshd[42]:` `sshd[<*>]:` while
//! the key and the punctuation stay. A piece is a value when it holds a digit
//! and is one of: a number (with sign, decimals, a unit such as `10ms` or
//! `5%`), anything made only of digits and `.:,-_+/` (IP addresses, times,
//! dates, versions), a hex id (`0x…`, or six or more hex digits, UUIDs,
//! MACs), a path or fraction (`/`), a dotted or dashed name with an
//! all-digit part (`220-135-151-1.example.net`, `node-12`), or a word with
//! four digits or more (`n219076184117`). Words with a short number stay
//! (`ssh2`, `tty2`, `sha256`): they are usually part of the text, and when
//! they are not the clustering still generalizes them. Month and weekday
//! names next to a masked value are masked too (`at Sun Jul <*> <*>`), as
//! they are then parts of a date. No rule knows a log format.

use super::header::is_month_or_weekday;

/// The placeholder for a variable.
pub const WILDCARD: &str = "<*>";

/// Characters that cut a token into pieces and stay as they are.
fn is_delimiter(c: char) -> bool {
    matches!(
        c,
        '=' | ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '\'' | '<' | '>' | '|' | '`'
    )
}

/// The masked tokens of `message`: at most `max_tokens`, the rest folded
/// into one trailing `<*>` so a pathological line cannot blow up memory.
pub fn tokenize(message: &str, max_tokens: usize, out: &mut Vec<String>) {
    out.clear();
    let mut words = message.split_whitespace();
    for word in words.by_ref().take(max_tokens) {
        out.push(mask_token(word));
    }
    if words.next().is_some() {
        out.push(WILDCARD.to_string());
    }
    mask_calendar_words(out);
}

/// One token with its value pieces replaced by `<*>`.
pub fn mask_token(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut piece_start = 0;
    for (i, c) in token.char_indices() {
        if is_delimiter(c) {
            push_piece(&token[piece_start..i], &mut out);
            out.push(c);
            piece_start = i + c.len_utf8();
        }
    }
    push_piece(&token[piece_start..], &mut out);
    out
}

/// Appends a piece, masked when it is a value; a trailing `:`, `.` or `!`
/// (sentence or label punctuation) is kept outside the value.
fn push_piece(piece: &str, out: &mut String) {
    let core = piece.trim_end_matches([':', '.', '!', '?']);
    if !core.is_empty() && is_value(core) {
        out.push_str(WILDCARD);
        out.push_str(&piece[core.len()..]);
    } else {
        out.push_str(piece);
    }
}

/// Whether a piece (no delimiters inside) is a variable by its shape.
pub fn is_value(piece: &str) -> bool {
    let digits = piece.bytes().filter(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let s = piece.trim_start_matches(['-', '+', '#']);
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return true;
        }
    }
    // Numbers, IPs, times, dates, versions.
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b".:,-_+/".contains(&b))
    {
        return true;
    }
    // Paths and fractions with a digit.
    if s.contains('/') {
        return true;
    }
    // Hex ids, UUIDs, MACs.
    if s.len() >= 6
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'-' || b == b':')
    {
        return true;
    }
    // A number with a unit: `10ms`, `2.5GiB`, `5%`.
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    if num_end > 0 && s.as_bytes()[0].is_ascii_digit() {
        let unit = &s[num_end..];
        if unit.len() <= 4 && unit.bytes().all(|b| b.is_ascii_alphabetic() || b == b'%') {
            return true;
        }
    }
    // A dotted/dashed name with an all-digit part.
    if s.split(['.', '-', '_', ':'])
        .any(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return true;
    }
    digits >= 4
}

/// Masks month and weekday names adjacent to a masked value, repeatedly,
/// so `Sun Jul 17 04:31:57 2005` becomes five `<*>`.
fn mask_calendar_words(tokens: &mut [String]) {
    let masked = |t: &str| t.starts_with(WILDCARD);
    loop {
        let mut changed = false;
        for i in 0..tokens.len() {
            if masked(&tokens[i]) {
                continue;
            }
            let near = (i > 0 && masked(&tokens[i - 1]))
                || (i + 1 < tokens.len() && masked(&tokens[i + 1]));
            let core = tokens[i].trim_end_matches([',', '.']);
            if near && is_month_or_weekday(core) {
                let rest = tokens[i][core.len()..].to_string();
                tokens[i] = format!("{WILDCARD}{rest}");
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(message: &str) -> String {
        let mut out = Vec::new();
        tokenize(message, 100, &mut out);
        out.join(" ")
    }

    #[test]
    fn values_are_masked_inside_tokens() {
        let cases = [
            ("rhost=218.188.2.4", "rhost=<*>"),
            ("sshd[24200]:", "sshd[<*>]:"),
            ("139.59.209.18:", "<*>:"),
            ("(uid=0)", "(uid=<*>)"),
            ("rhost=220-135-151-1.hinet-ip.hinet.net", "rhost=<*>"),
            ("'/udev/vcsa2'", "'<*>'"),
            ("0xffffff8428276000,", "<*>,"),
            ("0ac7a38c-74bc-4d23-ae50-2576492537e0", "<*>"),
            ("(18.0447ms)", "(<*>)"),
            ("2005.", "<*>."),
            ("n219076184117.netvigator.com", "<*>"),
            ("ssh2", "ssh2"),
            ("tty2", "tty2"),
            ("sha256", "sha256"),
            ("pam_unix(sshd:auth):", "pam_unix(sshd:auth):"),
            ("--address=\"0.0.0.0\"", "--address=\"<*>\""),
        ];
        for (token, want) in cases {
            assert_eq!(mask_token(token), want, "{token}");
        }
    }

    #[test]
    fn dates_inside_messages_are_masked() {
        assert_eq!(
            masked("connection from 1.2.3.4 (1.2.3.4) at Sun Jul 17 04:31:57 2005"),
            "connection from <*> (<*>) at <*> <*> <*> <*> <*>"
        );
        assert_eq!(masked("May I help"), "May I help");
    }

    #[test]
    fn long_lines_are_capped() {
        let mut out = Vec::new();
        tokenize("a b c d e", 3, &mut out);
        assert_eq!(out, ["a", "b", "c", "<*>"]);
    }
}
