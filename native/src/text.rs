//! Small strict readers over ASCII text, and the JSON writer.
//!
//! Every reader accepts only the canonical form of its value and answers None otherwise: the
//! caller then declines the line, and the Python path (the reference) parses it.

/// A position in a line being read left to right.
pub struct Cursor<'a> {
    pub text: &'a str,
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    pub fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    pub fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Consume `literal` if the text continues with it.
    pub fn eat(&mut self, literal: &str) -> bool {
        if self.rest().starts_with(literal) {
            self.pos += literal.len();
            true
        } else {
            false
        }
    }

    pub fn eat_byte(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consume `literal` as many times as it repeats (a `(?:TCP: )*` prefix).
    pub fn eat_repeated(&mut self, literal: &str) -> usize {
        let mut n = 0;
        while self.eat(literal) {
            n += 1;
        }
        n
    }

    /// ASCII digits, at least one: their text.
    pub fn digits(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut end = start;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        if end == start {
            return None;
        }
        self.pos = end;
        Some(&self.text[start..end])
    }

    /// A decimal number without leading zeros (the kernel prints none), at most `max`.
    pub fn number(&mut self, max: u64) -> Option<u64> {
        let digits = self.digits()?;
        if digits.len() > 1 && digits.starts_with('0') || digits.len() > 19 {
            return None;
        }
        let value: u64 = digits.parse().ok()?;
        (value <= max).then_some(value)
    }

    /// A dotted-quad IPv4 address in the canonical form Python's `ipaddress` prints (no
    /// leading zeros, octets up to 255): the text, which is then also its rendering.
    pub fn ipv4(&mut self) -> Option<&'a str> {
        let start = self.pos;
        for i in 0..4 {
            if i > 0 && !self.eat_byte(b'.') {
                return None;
            }
            let octet = self.digits()?;
            if octet.len() > 3 || (octet.len() > 1 && octet.starts_with('0')) {
                return None;
            }
            if octet.parse::<u16>().ok()? > 255 {
                return None;
            }
        }
        Some(&self.text[start..self.pos])
    }

    /// ASCII word characters (`[A-Za-z0-9_]`), at least one.
    pub fn word(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        if end == start {
            return None;
        }
        self.pos = end;
        Some(&self.text[start..end])
    }

    /// Only the kernel's trailing noise is left (the catalog's TAIL_NOISE: ` .\t`).
    pub fn at_tail(&self) -> bool {
        self.rest()
            .bytes()
            .all(|b| b == b' ' || b == b'.' || b == b'\t')
    }
}

/// The JSON text orjson writes for a string: `"`, `\` and control characters escaped
/// (`\b \t \n \f \r` short, the rest `\u00xx`), everything else as UTF-8.
pub fn push_str(out: &mut Vec<u8>, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = value.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // most strings need no escape: one pass that the compiler vectorises, then one copy
    let needs = bytes.iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if !needs {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x09 => b't',
            0x0a => b'n',
            0x0c => b'f',
            0x0d => b'r',
            0x00..=0x1f => 0,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if short != 0 {
            out.extend_from_slice(&[b'\\', short]);
        } else {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 0xf) as usize]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

pub fn push_int(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// A float as orjson writes it (shortest round-trip digits), for the range where that is
/// plain decimal notation; None outside it, so the caller declines the line.
pub fn push_float(out: &mut Vec<u8>, value: f64) -> Option<()> {
    if !(value == 0.0 || (1e-4..1e15).contains(&value)) {
        return None;
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(value);
    if text.contains('e') {
        return None;
    }
    out.extend_from_slice(text.as_bytes());
    Some(())
}
