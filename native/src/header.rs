//! The kern.log header as rsyslog writes it: `Nov 24 15:14:57 host kernel: [uptime] ` (RFC
//! 3164, the traditional file format) or `2026-11-24T15:14:57.123456+08:00 host kernel: `
//! (RSYSLOG_FileFormat, RFC 3339, the default of recent Ubuntu releases).
//!
//! Mirrors pipeline/envelopes/syslog.py for those shapes only: no `<PRI>`, no weekday or year,
//! no fraction in a 3164 time, exactly six fraction digits and a `Z` or `+hh:mm` offset in a
//! 3339 one, no facility.level word, a tag without `[pid]`, every header character printable
//! ASCII. Any other header is None (the Python envelopes read it).

use std::collections::HashSet;

use crate::text::Cursor;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A header's time.
pub enum Stamp<'a> {
    /// `Nov 24 15:14:57`, the day as printed (one or two digits): the clock places it.
    Bsd {
        month: &'a str,
        day: &'a str,
        clock: &'a str,
    },
    /// An RFC 3339 time with its offset: a wall clock on its own.
    Iso(Iso),
}

pub struct Iso {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub micro: i64,
    pub offset_minutes: i64,
}

pub struct Header<'a> {
    /// The whole line (event.original).
    pub line: &'a str,
    pub stamp: Stamp<'a>,
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
    let stamp = if line.as_bytes().first()?.is_ascii_digit() {
        iso(&mut c)?
    } else {
        bsd(&mut c)?
    };
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
    if matches!(stamp, Stamp::Iso(_)) && matches!(host, Some("stdout" | "stderr")) {
        return None; // could read as a CRI container line: left to Python
    }
    Some(Header {
        line,
        stamp,
        host,
        uptime,
        message,
    })
}

fn bsd<'a>(c: &mut Cursor<'a>) -> Option<Stamp<'a>> {
    let line = c.text;
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
    if !shaped(clock, "dd:dd:dd") {
        return None;
    }
    c.pos += 8;
    Some(Stamp::Bsd { month, day, clock })
}

/// `2026-11-24T15:14:57.123456+08:00` (or `Z`): a real date and time, as Python's
/// `datetime.fromisoformat` accepts it.
fn iso<'a>(c: &mut Cursor<'a>) -> Option<Stamp<'a>> {
    let text = c.text.get(0..26)?;
    if !shaped(text, "dddd-dd-ddTdd:dd:dd.dddddd") {
        return None;
    }
    let n = |a: usize, b: usize| text[a..b].parse::<i64>().ok();
    let (year, month, day) = (n(0, 4)?, n(5, 7)?, n(8, 10)?);
    let (hour, minute, second, micro) = (n(11, 13)?, n(14, 16)?, n(17, 19)?, n(20, 26)?);
    if !(2..=9998).contains(&year)
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    c.pos = 26;
    let offset_minutes = if c.eat_byte(b'Z') {
        0
    } else {
        let sign = match c.peek()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let zone = c.text.get(c.pos + 1..c.pos + 6)?;
        if !shaped(zone, "dd:dd") {
            return None;
        }
        let (h, m) = (
            zone[0..2].parse::<i64>().ok()?,
            zone[3..5].parse::<i64>().ok()?,
        );
        if h > 23 || m > 59 {
            return None;
        }
        c.pos += 6;
        sign * (h * 60 + m)
    };
    Some(Stamp::Iso(Iso {
        year,
        month,
        day,
        hour,
        minute,
        second,
        micro,
        offset_minutes,
    }))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `text` has the shape of `pattern`: `d` a digit, any other character itself.
fn shaped(text: &str, pattern: &str) -> bool {
    text.len() == pattern.len()
        && text.bytes().zip(pattern.bytes()).all(|(t, p)| {
            if p == b'd' {
                t.is_ascii_digit()
            } else {
                t == p
            }
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
    let seconds: f64 = number.parse().ok()?;
    // printk's uptime has at most 10 digits of seconds; far larger numbers are left to Python
    // (its float rendering and whole microseconds of identity rule 3 stay exact below this)
    if seconds >= 1e15 {
        return None;
    }
    Some((Some(seconds), c.rest()))
}
