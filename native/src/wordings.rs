//! The common wordings of the catalog's busiest families, read strictly.
//!
//! Each reader mirrors one wording of pipeline/catalog/<family>.py for its canonical form:
//! IPv4 peers, numbers without leading zeros, nothing but the kernel's trailing ` .\t` after
//! the wording. Anything else (IPv6, masked addresses, dynamic-debug prefixes, cut or longer
//! lines, other wordings) is None, and the line goes to the Python catalog.

use crate::text::Cursor;

const U32_MAX: u64 = u32::MAX as u64;
const PORT_MAX: u64 = 65_535;
const INT_MAX: u64 = i32::MAX as u64; // the kernel's `%d` of a non-negative int
const LOOPBACK4_IPV6: &str = "127.0.0.6"; // window_shrink.py: an IPv6 peer never printed

/// The family a message belongs to, in the order of the table the Python side passes.
#[derive(Clone, Copy)]
pub enum Family {
    WindowShrink = 0,
    DropOpenRequest = 1,
    SynFlood = 2,
    OrphanSockets = 3,
    ConntrackTableFull = 4,
    RatelimitSuppressed = 5,
}

pub const FAMILY_ACTIONS: [&str; 6] = [
    "tcp-window-shrink",
    "tcp-drop-open-request",
    "tcp-syn-flood",
    "tcp-orphan-sockets",
    "conntrack-table-full",
    "kernel-ratelimit-suppressed",
];

/// One field of a family's own object (`ktcp.<namespace>.*`), in model order.
pub enum Value<'a> {
    Int(u64),
    Str(&'a str),
}

pub struct Message<'a> {
    pub family: Family,
    pub variant: &'static str,
    pub peer_ip: Option<&'a str>,
    pub peer_port: Option<u64>,
    pub local_ip: Option<&'a str>,
    pub local_port: Option<u64>,
    /// Field name under ktcp.<namespace> and value, in the order the model renders them.
    pub extras: Vec<(&'static str, Value<'a>)>,
}

impl<'a> Message<'a> {
    fn new(family: Family, variant: &'static str) -> Self {
        Message {
            family,
            variant,
            peer_ip: None,
            peer_port: None,
            local_ip: None,
            local_port: None,
            extras: Vec::new(),
        }
    }
}

pub fn read(message: &str) -> Option<Message<'_>> {
    let mut c = Cursor::new(message);
    if c.eat("net_ratelimit: ") {
        return ratelimit(c);
    }
    if c.rest().starts_with("nf_conntrack: ") {
        return conntrack(c);
    }
    c.eat_repeated("TCP: ");
    let rest = c.rest();
    if rest.starts_with("Treason uncloaked! ") {
        treason(c)
    } else if rest.starts_with("Peer ") {
        unexpectedly_shrunk(c)
    } else if rest.starts_with("Probing zero-window on ") {
        probing_zero_window(c)
    } else if rest.starts_with("drop open request from ") {
        drop_open_request(c)
    } else if rest.starts_with("too many ") {
        orphans(c)
    } else {
        syn_flood(c)
    }
}

/// `ADDR:peer_port/local_port` of the window-shrink wordings (IPv4 only).
fn address<'a>(c: &mut Cursor<'a>, m: &mut Message<'a>) -> Option<()> {
    m.peer_ip = Some(c.ipv4()?);
    c.eat_byte(b':').then_some(())?;
    m.peer_port = Some(c.number(PORT_MAX)?);
    c.eat_byte(b'/').then_some(())?;
    m.local_port = Some(c.number(PORT_MAX)?);
    Some(())
}

/// `snd_una:snd_nxt`, then the family's computed bytes in flight after the other fields.
fn sequence(c: &mut Cursor<'_>) -> Option<(u64, u64)> {
    let una = c.number(U32_MAX)?;
    c.eat_byte(b':').then_some(())?;
    let nxt = c.number(U32_MAX)?;
    Some((una, nxt))
}

fn window<'a>(m: &mut Message<'a>, una: u64, nxt: u64, timings: Option<(u64, u64)>) {
    m.extras.push(("snd_una", Value::Int(una)));
    m.extras.push(("snd_nxt", Value::Int(nxt)));
    if let Some((recv_ago, lasting)) = timings {
        m.extras.push(("recv_ago_ms", Value::Int(recv_ago)));
        m.extras.push(("lasting_ms", Value::Int(lasting)));
    }
    m.extras.push((
        "bytes_outstanding",
        Value::Int((nxt + (1 << 32) - una) % (1 << 32)),
    ));
}

/// `TCP: Treason uncloaked! Peer A:p/q shrinks window una:nxt. Repaired.`
fn treason(mut c: Cursor<'_>) -> Option<Message<'_>> {
    let mut m = Message::new(Family::WindowShrink, "treason-uncloaked");
    c.eat("Treason uncloaked! ");
    if !(c.eat("Peer ") || c.eat("peer ")) {
        return None;
    }
    address(&mut c, &mut m)?;
    if m.peer_ip == Some(LOOPBACK4_IPV6) {
        return None;
    }
    c.eat(" shrinks window ").then_some(())?;
    let (una, nxt) = sequence(&mut c)?;
    c.eat(". Repaired").then_some(())?;
    c.at_tail().then_some(())?;
    window(&mut m, una, nxt, None);
    Some(m)
}

/// `Peer A:p/q unexpectedly shrunk window una:nxt (repaired)`
fn unexpectedly_shrunk(mut c: Cursor<'_>) -> Option<Message<'_>> {
    let mut m = Message::new(Family::WindowShrink, "unexpectedly-shrunk");
    c.eat("Peer ");
    address(&mut c, &mut m)?;
    c.eat(" unexpectedly shrunk window ").then_some(())?;
    let (una, nxt) = sequence(&mut c)?;
    c.eat(" (repaired)").then_some(())?;
    c.at_tail().then_some(())?;
    window(&mut m, una, nxt, None);
    Some(m)
}

/// `Probing zero-window on A:p/q, seq=una:nxt, recv Nms ago, lasting Nms` (6.6+)
fn probing_zero_window(mut c: Cursor<'_>) -> Option<Message<'_>> {
    let mut m = Message::new(Family::WindowShrink, "probing-zero-window");
    c.eat("Probing zero-window on ");
    address(&mut c, &mut m)?;
    c.eat(", seq=").then_some(())?;
    let (una, nxt) = sequence(&mut c)?;
    c.eat(", recv ").then_some(())?;
    let recv_ago = c.number(U32_MAX)?;
    c.eat("ms ago, lasting ").then_some(())?;
    let lasting = c.number(U32_MAX)?;
    c.eat("ms").then_some(())?;
    c.at_tail().then_some(())?;
    window(&mut m, una, nxt, Some((recv_ago, lasting)));
    Some(m)
}

/// `TCP: drop open request from A/port`
fn drop_open_request(mut c: Cursor<'_>) -> Option<Message<'_>> {
    let mut m = Message::new(Family::DropOpenRequest, "pi4");
    c.eat("drop open request from ");
    m.peer_ip = Some(c.ipv4()?);
    c.eat_byte(b'/').then_some(())?;
    m.peer_port = Some(c.number(PORT_MAX)?);
    c.at_tail().then_some(())?;
    Some(m)
}

/// `TCP: too many orphaned sockets` (3.3+) / `too many of orphaned sockets` (up to 3.2)
fn orphans(mut c: Cursor<'_>) -> Option<Message<'_>> {
    let (variant, cause) = if c.eat("too many orphaned sockets") {
        ("too-many-orphaned", "orphans")
    } else if c.eat("too many of orphaned sockets") {
        ("too-many-of-orphaned", "orphans-or-memory")
    } else {
        return None;
    };
    c.at_tail().then_some(())?;
    let mut m = Message::new(Family::OrphanSockets, variant);
    m.extras.push(("cause", Value::Str(cause)));
    Some(m)
}

/// `nf_conntrack: nf_conntrack: table full, dropping packet` (with or without the old dot)
fn conntrack(mut c: Cursor<'_>) -> Option<Message<'_>> {
    c.eat_repeated("nf_conntrack: ");
    c.eat("table full, dropping packet").then_some(())?;
    let variant = if c.peek() == Some(b'.') {
        "nf-conntrack-dot"
    } else {
        "nf-conntrack"
    };
    c.at_tail().then_some(())?;
    Some(Message::new(Family::ConntrackTableFull, variant))
}

/// `net_ratelimit: N callbacks suppressed`
fn ratelimit(mut c: Cursor<'_>) -> Option<Message<'_>> {
    let count = c.number(INT_MAX)?;
    c.eat(" callbacks suppressed").then_some(())?;
    c.at_tail().then_some(())?;
    let mut m = Message::new(Family::RatelimitSuppressed, "callbacks-suppressed");
    m.extras.push(("count", Value::Int(count)));
    m.extras.push(("function", Value::Str("net_ratelimit")));
    Some(m)
}

/// `LISTENER: Possible SYN flooding on port A:q. Sending cookies.` (6.2+, IPv4) and
/// `request_sock_TCP: Possible SYN flooding on port q. Sending cookies.  Check SNMP counters.`
fn syn_flood(mut c: Cursor<'_>) -> Option<Message<'_>> {
    let listener = c.word()?;
    c.eat(": Possible SYN flooding on port ").then_some(())?;
    let mut m = Message::new(Family::SynFlood, "with-address");
    let save = c.pos;
    if let Some(ip) = c.ipv4().filter(|_| c.peek() == Some(b':')) {
        m.local_ip = Some(ip);
        c.eat_byte(b':');
    } else if listener.len() > "request_sock_".len() && listener.starts_with("request_sock_") {
        c.pos = save;
        m.variant = "request-sock";
    } else {
        return None;
    }
    m.local_port = Some(c.number(PORT_MAX)?);
    c.eat(". ").then_some(())?;
    let response = if c.eat("Sending cookies.") {
        "cookies"
    } else if c.eat("Dropping request.") {
        "drop"
    } else {
        return None;
    };
    if m.variant == "request-sock" {
        let before = c.pos;
        let mut spaces = 0;
        while c.eat_byte(b' ') || c.eat_byte(b'\t') {
            spaces += 1;
        }
        if !(spaces > 0 && c.eat("Check SNMP counters.")) {
            c.pos = before;
        }
    }
    c.at_tail().then_some(())?;
    m.extras.push(("listener", Value::Str(listener)));
    m.extras.push(("action", Value::Str(response)));
    Some(m)
}
