//! The RFC 3164 kern.log header as rsyslog writes it: `Nov 24 15:14:57 host kernel: [uptime] `.
//!
//! Mirrors pipeline/envelopes/syslog.py for that one shape only: no `<PRI>`, no weekday or
//! year, no fraction, no facility.level word, a tag without `[pid]`, every header character
//! printable ASCII. Any other header is None (the Python envelopes read it).

use std::collections::HashSet;

use crate::text::Cursor;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

pub struct Header<'a> {
    /// The whole line (event.original).
    pub line: &'a str,
    /// `Nov 24 15:14:57` with the day as printed (one or two digits): the clock's key.
    pub month: &'a str,
    pub day: &'a str,
    pub clock: &'a str,
    pub host: Option<&'a str>,
    pub uptime: Option<f64>,
    pub message: &'a str,
}

pub struct Rules {
    /// `kern.warn` and the like: a header word that is never a host (syslog.py _FAC_LEVEL).
    pub facility_levels: HashSet<String>,
    /// Tags of kernel messages, lower case (chain.py KERNEL_IDENTS).
    pub kernel_idents: HashSet<String>,
}

fn is_graphic(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
}

pub fn read<'a>(line: &'a str, rules: &Rules) -> Option<Header<'a>> {
    let mut c = Cursor::new(line);
    let month = line.get(0..3)?;
    if !MONTHS.contains(&month) {
        return None;
    }
    c.pos = 3;
    c.eat_byte(b' ').then_some(())?;
    c.eat_byte(b' ');
    let day = c.digits()?;
    if day.len() > 2 {
        return None;
    }
    c.eat_byte(b' ').then_some(())?;
    let clock = line.get(c.pos..c.pos + 8)?;
    let b = clock.as_bytes();
    let shape_ok = b.iter().enumerate().all(|(i, &ch)| {
        if i == 2 || i == 5 {
            ch == b':'
        } else {
            ch.is_ascii_digit()
        }
    });
    if !shape_ok {
        return None;
    }
    c.pos += 8;
    c.eat_byte(b' ').then_some(())?;
    // first word: the host, or the tag itself (`kernel:`) when the line names no host
    let first = token(&mut c)?;
    let (host, tag) = if let Some(tag) = first.strip_suffix(':') {
        (None, tag)
    } else {
        if rules.facility_levels.contains(first) {
            return None;
        }
        c.eat_byte(b' ').then_some(())?;
        let second = token(&mut c)?;
        if rules.facility_levels.contains(second) {
            return None;
        }
        (Some(first), second.strip_suffix(':')?)
    };
    if tag.is_empty()
        || tag.bytes().any(|b| b == b':' || b == b'[' || b == b']')
        || !rules.kernel_idents.contains(&tag.to_ascii_lowercase())
    {
        return None;
    }
    c.eat_byte(b' ');
    let (uptime, message) = uptime(c.rest())?;
    Some(Header {
        line,
        month,
        day,
        clock,
        host,
        uptime,
        message,
    })
}

/// Printable ASCII up to the next space (the header's words).
fn token<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    let bytes = c.text.as_bytes();
    let start = c.pos;
    let mut end = start;
    while end < bytes.len() && bytes[end] != b' ' {
        if !is_graphic(bytes[end]) {
            return None;
        }
        end += 1;
    }
    if end == start || end == bytes.len() {
        return None;
    }
    c.pos = end;
    Some(&c.text[start..end])
}

/// A leading `[ 1234.567890]` (dmesg.py UPTIME_RE) and the message after it. A `[` that does
/// not open that exact shape (another spacing, a caller column) is None: left to Python.
fn uptime(rest: &str) -> Option<(Option<f64>, &str)> {
    if !rest.starts_with('[') {
        return Some((None, rest));
    }
    let mut c = Cursor::new(rest);
    c.pos = 1;
    while c.eat_byte(b' ') {}
    let start = c.pos;
    c.digits()?;
    c.eat_byte(b'.').then_some(())?;
    c.digits()?;
    let number = &rest[start..c.pos];
    c.eat_byte(b']').then_some(())?;
    if c.peek() == Some(b'[') {
        return None;
    }
    c.eat_byte(b' ');
    Some((Some(number.parse().ok()?), c.rest()))
}
