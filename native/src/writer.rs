//! One document, two encodings: JSON as orjson writes it and msgpack as msgpack-python's
//! `Packer(use_bin_type=True)` packs the same dict. Maps and arrays are announced with their
//! number of entries (msgpack needs it first; JSON closes them when the last one is written).

use crate::text::{push_float, push_int, push_str};

/// A value Python rendered once (an enrichment, a time object), kept to be written again.
#[derive(Clone)]
pub enum Node {
    Map(Vec<(String, Node)>),
    List(Vec<Node>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

pub trait Writer {
    fn map(&mut self, entries: usize);
    fn array(&mut self, items: usize);
    fn key(&mut self, key: &str);
    fn str(&mut self, value: &str);
    fn uint(&mut self, value: u64);
    fn int(&mut self, value: i64);
    /// None: a float this writer cannot render exactly as Python would (decline the line).
    fn float(&mut self, value: f64) -> Option<()>;
    fn bool(&mut self, value: bool);
    fn into_bytes(self) -> Vec<u8>;

    fn node(&mut self, node: &Node) -> Option<()> {
        match node {
            Node::Map(entries) => {
                self.map(entries.len());
                for (k, v) in entries {
                    self.key(k);
                    self.node(v)?;
                }
            }
            Node::List(items) => {
                self.array(items.len());
                for v in items {
                    self.node(v)?;
                }
            }
            Node::Str(s) => self.str(s),
            Node::Int(v) => self.int(*v),
            Node::Float(v) => self.float(*v)?,
            Node::Bool(v) => self.bool(*v),
        }
        Some(())
    }
}

struct Frame {
    left: usize,
    close: u8,
    first: bool,
}

#[derive(Default)]
pub struct Json {
    out: Vec<u8>,
    stack: Vec<Frame>,
    after_key: bool,
}

impl Json {
    /// A writer appending to `out` (documents of a chunk, one after the other).
    pub fn with_buffer(out: Vec<u8>) -> Self {
        Json {
            out,
            stack: Vec::new(),
            after_key: false,
        }
    }

    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Forget what was written from `mark` on (a declined line's partial document).
    pub fn truncate(&mut self, mark: usize) {
        self.out.truncate(mark);
        self.stack.clear();
        self.after_key = false;
    }

    /// End the document just written (NDJSON: a newline).
    pub fn end_line(&mut self) {
        self.out.push(b'\n');
    }

    pub fn into_inner(self) -> Vec<u8> {
        self.out
    }

    fn separate(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(frame) = self.stack.last_mut() {
            if !frame.first {
                self.out.push(b',');
            }
            frame.first = false;
        }
    }

    /// A value ended: close every container it completed.
    fn done(&mut self) {
        while let Some(frame) = self.stack.last_mut() {
            frame.left -= 1;
            if frame.left > 0 {
                break;
            }
            self.out.push(frame.close);
            self.stack.pop();
        }
    }

    fn open(&mut self, entries: usize, open: u8, close: u8) {
        self.separate();
        self.out.push(open);
        if entries == 0 {
            self.out.push(close);
            self.done();
        } else {
            self.stack.push(Frame {
                left: entries,
                close,
                first: true,
            });
        }
    }
}

impl Writer for Json {
    fn map(&mut self, entries: usize) {
        self.open(entries, b'{', b'}');
    }
    fn array(&mut self, items: usize) {
        self.open(items, b'[', b']');
    }
    fn key(&mut self, key: &str) {
        self.separate();
        push_str(&mut self.out, key);
        self.out.push(b':');
        self.after_key = true;
    }
    fn str(&mut self, value: &str) {
        self.separate();
        push_str(&mut self.out, value);
        self.done();
    }
    fn uint(&mut self, value: u64) {
        self.separate();
        push_int(&mut self.out, value);
        self.done();
    }
    fn int(&mut self, value: i64) {
        self.separate();
        if value < 0 {
            self.out.push(b'-');
        }
        push_int(&mut self.out, value.unsigned_abs());
        self.done();
    }
    fn float(&mut self, value: f64) -> Option<()> {
        self.separate();
        push_float(&mut self.out, value)?;
        self.done();
        Some(())
    }
    fn bool(&mut self, value: bool) {
        self.separate();
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
        self.done();
    }
    fn into_bytes(mut self) -> Vec<u8> {
        self.out.push(b'\n');
        self.out
    }
}

#[derive(Default)]
pub struct Msgpack {
    out: Vec<u8>,
}

impl Msgpack {
    fn header(&mut self, n: usize, fix: u8, small: u8, large: u8) {
        if n < 16 {
            self.out.push(fix | n as u8);
        } else if n <= 0xffff {
            self.out.push(small);
            self.out.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            self.out.push(large);
            self.out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }
}

impl Writer for Msgpack {
    fn map(&mut self, entries: usize) {
        self.header(entries, 0x80, 0xde, 0xdf);
    }
    fn array(&mut self, items: usize) {
        self.header(items, 0x90, 0xdc, 0xdd);
    }
    fn key(&mut self, key: &str) {
        self.str(key);
    }
    fn str(&mut self, value: &str) {
        let n = value.len();
        if n < 32 {
            self.out.push(0xa0 | n as u8);
        } else if n <= 0xff {
            self.out.extend_from_slice(&[0xd9, n as u8]);
        } else if n <= 0xffff {
            self.out.push(0xda);
            self.out.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            self.out.push(0xdb);
            self.out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        self.out.extend_from_slice(value.as_bytes());
    }
    fn uint(&mut self, value: u64) {
        if value < 0x80 {
            self.out.push(value as u8);
        } else if value <= 0xff {
            self.out.extend_from_slice(&[0xcc, value as u8]);
        } else if value <= 0xffff {
            self.out.push(0xcd);
            self.out.extend_from_slice(&(value as u16).to_be_bytes());
        } else if value <= 0xffff_ffff {
            self.out.push(0xce);
            self.out.extend_from_slice(&(value as u32).to_be_bytes());
        } else {
            self.out.push(0xcf);
            self.out.extend_from_slice(&value.to_be_bytes());
        }
    }
    fn int(&mut self, value: i64) {
        if value >= 0 {
            self.uint(value as u64);
        } else if value >= -32 {
            self.out.push(value as i8 as u8);
        } else if value >= i8::MIN as i64 {
            self.out.extend_from_slice(&[0xd0, value as i8 as u8]);
        } else if value >= i16::MIN as i64 {
            self.out.push(0xd1);
            self.out.extend_from_slice(&(value as i16).to_be_bytes());
        } else if value >= i32::MIN as i64 {
            self.out.push(0xd2);
            self.out.extend_from_slice(&(value as i32).to_be_bytes());
        } else {
            self.out.push(0xd3);
            self.out.extend_from_slice(&value.to_be_bytes());
        }
    }
    fn float(&mut self, value: f64) -> Option<()> {
        self.out.push(0xcb);
        self.out.extend_from_slice(&value.to_be_bytes());
        Some(())
    }
    fn bool(&mut self, value: bool) {
        self.out.push(if value { 0xc3 } else { 0xc2 });
    }
    fn into_bytes(self) -> Vec<u8> {
        self.out
    }
}
