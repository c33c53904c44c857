//! A support bundle: the generated files as one `.tar.gz`, written by hand
//! (POSIX ustar headers, 512-byte blocks) so the core needs no tar crate.

use super::GeneratedFile;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;

const BLOCK: usize = 512;

/// The files as a gzip-compressed ustar archive, every member dated `mtime`
/// (seconds since the epoch: fixed, so the archive is byte-identical per
/// seed). Paths over 100 bytes use the ustar prefix field when they can,
/// else a PAX `path` record (container log names alone are often longer
/// than 100 bytes); directories are implied by the paths.
pub fn support_bundle(files: &[GeneratedFile], mtime: u64) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    for f in files {
        if split_path(&f.path).is_none() {
            let record = pax_path_record(&f.path);
            let name = format!("PaxHeaders/{}", tail(&f.path, 89));
            let mut h = header(&name, record.len() as u64, mtime);
            h[156] = b'x';
            checksum(&mut h);
            member(&mut gz, &h, record.as_bytes());
        }
        let h = header(&f.path, f.bytes.len() as u64, mtime);
        member(&mut gz, &h, &f.bytes);
    }
    gz.write_all(&[0u8; 2 * BLOCK])
        .expect("writing to a Vec cannot fail");
    gz.finish().expect("writing to a Vec cannot fail")
}

fn member(gz: &mut GzEncoder<Vec<u8>>, header: &[u8; BLOCK], data: &[u8]) {
    gz.write_all(header).expect("writing to a Vec cannot fail");
    gz.write_all(data).expect("writing to a Vec cannot fail");
    let pad = (BLOCK - data.len() % BLOCK) % BLOCK;
    gz.write_all(&[0u8; BLOCK][..pad])
        .expect("writing to a Vec cannot fail");
}

/// `"<len> path=<path>\n"`, where `<len>` counts the whole record.
fn pax_path_record(path: &str) -> String {
    let body = path.len() + " path=\n".len();
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    format!("{len} path={path}\n")
}

/// The last at most `max` bytes of `s`, cut at a character boundary.
fn tail(s: &str, max: usize) -> &str {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// (prefix, name) for ustar, or None when the path does not fit.
fn split_path(path: &str) -> Option<(&str, &str)> {
    if path.len() <= 100 {
        return Some(("", path));
    }
    path.char_indices()
        .filter(|(i, c)| *c == '/' && *i <= 155 && path.len() - i - 1 <= 100)
        .map(|(i, _)| (&path[..i], &path[i + 1..]))
        .next()
}

fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let s = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&s.as_bytes()[s.len() - digits..]);
    field[digits] = 0;
}

fn header(path: &str, size: u64, mtime: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    // Paths that do not fit get a PAX record first; the name here is then
    // only a fallback for readers without PAX support.
    let (prefix, name) = split_path(path).unwrap_or(("", tail(path, 100)));
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[265..269].copy_from_slice(b"root");
    h[297..301].copy_from_slice(b"root");
    checksum(&mut h);
    h
}

fn checksum(h: &mut [u8; BLOCK]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u64 = h.iter().map(|b| *b as u64).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    #[test]
    fn ustar_layout() {
        let long = format!("{}/file.log", "d".repeat(120));
        let files = vec![
            GeneratedFile {
                path: "a/b.log".into(),
                bytes: b"hello\n".to_vec(),
            },
            GeneratedFile {
                path: long,
                bytes: vec![b'x'; 600],
            },
        ];
        let mut tar = Vec::new();
        GzDecoder::new(&support_bundle(&files, 1_773_457_200)[..])
            .read_to_end(&mut tar)
            .unwrap();
        assert_eq!(tar.len() % BLOCK, 0);
        assert_eq!(&tar[..7], b"a/b.log");
        assert_eq!(&tar[257..262], b"ustar");
        assert_eq!(&tar[BLOCK..BLOCK + 6], b"hello\n");
        let second = 2 * BLOCK;
        assert_eq!(&tar[second..second + 8], b"file.log");
        assert_eq!(&tar[second + 345..second + 348], b"ddd");
        // header, data (2 blocks), then two zero blocks
        assert_eq!(tar.len(), 2 * BLOCK + BLOCK + 2 * BLOCK + 2 * BLOCK);
        assert_eq!(pax_path_record("a"), "9 path=a\n");
        let long_name = "x".repeat(120);
        let r = pax_path_record(&long_name);
        assert_eq!(
            r.len(),
            r.split(' ').next().unwrap().parse::<usize>().unwrap()
        );
    }
}
