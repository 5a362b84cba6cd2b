//! ktcp's optional fast path (`pipeline._native`): kern.log lines in, ECS documents out.
//!
//! pipeline/native.py drives it; the Python chain stays the reference. For a line of one
//! shape, an RFC 3164 kern.log line with one of the common wordings of wordings.rs, this
//! renders the ECS document itself, byte for byte what `ecs.to_document` and orjson (or
//! msgpack-python) give; any other line it declines, and the Python chain reads it.
//!
//! Two entries: `Scanner.scan` reads blocks of a file (identity rule 2, NDJSON out: `ktcp
//! parse FILE -o ndjson`) and `Scanner.record` one kernel line of a Fluentd record (identity
//! rule 3, msgpack or JSON out: `ktcp exec-filter`). What the extension cannot know by itself
//! it asks Python once and keeps: the time of a printed second (the chain's clock: zone, year
//! inference) and a peer's enrichment; rule 3's occurrence count it asks per event, from the
//! chain's one table.

mod header;
mod text;
mod wordings;
mod writer;

use std::collections::{HashMap, HashSet};

use blake2::digest::{Update, VariableOutput};
use blake2::Blake2bVar;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};
use regex::bytes::Regex;

use wordings::{Message, Value, FAMILY_ACTIONS};
use writer::{Json, Msgpack, Node, Writer};

const PEER_CACHE_ENTRIES: usize = 1 << 13;
/// Rendered documents are handed over in chunks of about this size: a block of TCP lines
/// renders to several times its size, and the sink writes each chunk as it comes.
const CHUNK_BYTES: usize = 1 << 18;

/// What the Python side says of each family (event.type, namespace, level per variant).
struct FamilyFacts {
    action: String,
    types: Vec<String>,
    namespace: String,
    levels: HashMap<String, u64>,
}

/// A printed second as the chain's clock places it.
struct Moment {
    timestamp: String, // @timestamp
    time: Node,        // ktcp.time
    naive: String,     // the printed time, isoformat (identity rule 3)
    epoch: String,     // "seconds.nanoseconds" (exec-filter's time key)
}

/// A peer's enrichment: entries added to `source` (as, geo) and `ktcp.isp`.
struct Peer {
    source: Vec<(String, Node)>,
    isp: Node,
}

/// Where a document's identity and envelope come from: a file line or a record's line.
enum Origin<'a> {
    File {
        path: &'a str,
        offset: u64,
        file_id: &'a str,
    },
    Record {
        envelope: &'a str,
        ingested: &'a str,
        time_key: Option<&'a str>,
    },
}

fn node_of(value: &Bound<'_, PyAny>) -> PyResult<Node> {
    if let Ok(d) = value.cast::<PyDict>() {
        let mut entries = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            entries.push((k.extract::<String>()?, node_of(&v)?));
        }
        return Ok(Node::Map(entries));
    }
    if let Ok(l) = value.cast::<PyList>() {
        return Ok(Node::List(
            l.iter().map(|v| node_of(&v)).collect::<PyResult<_>>()?,
        ));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(Node::Str(s.to_str()?.to_string()));
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Node::Bool(b.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(Node::Int(value.extract()?));
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return Ok(Node::Float(f.value()));
    }
    Err(PyValueError::new_err(format!(
        "cannot keep {value:?} for the fast path"
    )))
}

fn get<'py, T>(config: &Bound<'py, PyDict>, key: &str) -> PyResult<T>
where
    T: pyo3::conversion::FromPyObjectOwned<'py>,
{
    match config.get_item(key)? {
        Some(value) => value.extract::<T>().map_err(Into::into),
        None => Err(PyValueError::new_err(format!(
            "native scanner config lacks {key:?}"
        ))),
    }
}

/// What `scan` returns: (items, resume position, candidate lines, events per action).
type Scanned<'py> = (Bound<'py, PyList>, Option<usize>, usize, Bound<'py, PyDict>);

#[pyclass(module = "pipeline._native")]
struct Scanner {
    candidate: Regex,
    max_line_bytes: usize,
    host: Option<String>,
    rules: header::Rules,
    families: Vec<FamilyFacts>,
    // constants of every document (ecs.py)
    ecs_version: String,
    event_kind: String,
    event_category: Vec<String>,
    dataset: String,
    module: String,
    default_transport: String,
    envelope: String,
    envelope_3339: String,
    /// ktcp.time of a line whose header carries a wall clock (RFC 3339)
    envelope_time: Node,
    parser_version: String,
    time_of: Py<PyAny>,
    peer_of: Option<Py<PyAny>>,
    occurrence_of: Option<Py<PyAny>>,
    last_stamp: String,
    stamp_key: String,
    last_moment: Option<Moment>,
    peers: HashMap<String, Option<Peer>>,
}

#[pymethods]
impl Scanner {
    #[new]
    #[pyo3(signature = (config, time_of, peer_of=None, occurrence_of=None))]
    fn new(
        config: &Bound<'_, PyDict>,
        time_of: Py<PyAny>,
        peer_of: Option<Py<PyAny>>,
        occurrence_of: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let pattern: String = get(config, "candidate_pattern")?;
        let candidate = Regex::new(&pattern)
            .map_err(|e| PyValueError::new_err(format!("candidate pattern: {e}")))?;
        let families_cfg: Bound<'_, PyDict> = get(config, "families")?;
        let mut families = Vec::new();
        for action in FAMILY_ACTIONS {
            let facts: Bound<'_, PyDict> = match families_cfg.get_item(action)? {
                Some(v) => v.extract()?,
                None => return Err(PyValueError::new_err(format!("no facts for {action}"))),
            };
            families.push(FamilyFacts {
                action: action.to_string(),
                types: get(&facts, "event_type")?,
                namespace: get(&facts, "namespace")?,
                levels: get(&facts, "levels")?,
            });
        }
        Ok(Scanner {
            candidate,
            max_line_bytes: get(config, "max_line_bytes")?,
            host: get(config, "host")?,
            rules: header::Rules {
                facility_levels: get::<HashSet<String>>(config, "facility_levels")?,
                kernel_idents: get::<HashSet<String>>(config, "kernel_idents")?,
            },
            families,
            ecs_version: get(config, "ecs_version")?,
            event_kind: get(config, "event_kind")?,
            event_category: get(config, "event_category")?,
            dataset: get(config, "dataset")?,
            module: get(config, "module")?,
            default_transport: get(config, "default_transport")?,
            envelope: get(config, "envelope")?,
            envelope_3339: get(config, "envelope_3339")?,
            envelope_time: node_of(&get::<Bound<'_, PyAny>>(config, "envelope_time")?)?,
            parser_version: get(config, "parser_version")?,
            time_of,
            peer_of,
            occurrence_of,
            last_stamp: String::new(),
            stamp_key: String::new(),
            last_moment: None,
            peers: HashMap::new(),
        })
    }

    /// A block of complete lines read from a file at `base_offset`, from `pos` on.
    ///
    /// Returns (items, where to go on or None at the block's end, candidate lines read,
    /// {action: events rendered}); items, in line order, are `(bytes, n)` for n rendered
    /// documents (NDJSON) and `(start, end)` for a candidate line the Python chain must read
    /// (offsets into `data`, end excluding the newline). It stops after about CHUNK_BYTES of
    /// documents, so memory stays bounded whatever the block renders to.
    #[allow(clippy::too_many_arguments)]
    fn scan<'py>(
        &mut self,
        py: Python<'py>,
        data: &[u8],
        pos: usize,
        path: &str,
        base_offset: u64,
        file_id: &str,
    ) -> PyResult<Scanned<'py>> {
        let items = PyList::empty(py);
        let mut counts = [0usize; FAMILY_ACTIONS.len()];
        let mut out: Vec<u8> = Vec::new();
        let mut rendered = 0usize;
        let mut candidates = 0usize;
        let mut pos = pos;
        let mut resume = None;
        let n = data.len();
        while pos <= n {
            let Some(hit) = self.candidate.find_at(data, pos) else {
                break;
            };
            let start = data[..hit.start()]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let end = data[hit.end()..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(n, |i| hit.end() + i);
            pos = end + 1;
            candidates += 1;
            let mut line = &data[start..end];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            let origin = Origin::File {
                path,
                offset: base_offset + start as u64,
                file_id,
            };
            let mut w = Json::with_buffer(std::mem::take(&mut out));
            let mark = w.len();
            let family = self.render(py, line, &origin, &mut w)?;
            if family.is_some() {
                w.end_line();
            } else {
                w.truncate(mark);
            }
            out = w.into_inner();
            match family {
                Some(family) => {
                    counts[family] += 1;
                    rendered += 1;
                    if out.len() >= CHUNK_BYTES {
                        resume = Some(pos);
                        break;
                    }
                }
                None => {
                    if rendered > 0 {
                        items.append((PyBytes::new(py, &out), rendered))?;
                        out.clear();
                        rendered = 0;
                    }
                    items.append((start, end))?;
                }
            }
        }
        if rendered > 0 {
            items.append((PyBytes::new(py, &out), rendered))?;
        }
        let by_action = PyDict::new(py);
        for (i, count) in counts.iter().enumerate() {
            if *count > 0 {
                by_action.set_item(&self.families[i].action, count)?;
            }
        }
        Ok((items, resume, candidates, by_action))
    }

    /// The document of one record's kernel line (the record holds nothing else), in
    /// `output` ("msgpack" or "json": one line), with event.ingested and the time key; and its
    /// event.action. `envelope` is the record's own envelope (`fluentd`): the document's is
    /// it and the line's joined (`fluentd+syslog-3164`). None: the Python chain reads it.
    #[pyo3(signature = (line, envelope, ingested, time_key, output))]
    fn record<'py>(
        &mut self,
        py: Python<'py>,
        line: &[u8],
        envelope: &str,
        ingested: &str,
        time_key: Option<&str>,
        output: &str,
    ) -> PyResult<Option<(Bound<'py, PyBytes>, &'static str)>> {
        let origin = Origin::Record {
            envelope,
            ingested,
            time_key,
        };
        let (family, doc) = if output == "msgpack" {
            let mut w = Msgpack::default();
            (self.render(py, line, &origin, &mut w)?, w.into_bytes())
        } else {
            let mut w = Json::default();
            let family = self.render(py, line, &origin, &mut w)?;
            w.end_line();
            (family, w.into_inner())
        };
        Ok(family.map(|family| (PyBytes::new(py, &doc), FAMILY_ACTIONS[family])))
    }
}

impl Scanner {
    /// Write the document of one line and say its family; None declines the line (what was
    /// written is then the caller's to drop).
    fn render<W: Writer>(
        &mut self,
        py: Python<'_>,
        line: &[u8],
        origin: &Origin<'_>,
        w: &mut W,
    ) -> PyResult<Option<usize>> {
        if line.len() > self.max_line_bytes || line.contains(&0) {
            return Ok(None);
        }
        let Ok(text) = std::str::from_utf8(line) else {
            return Ok(None);
        };
        let Some(header) = header::read(text, &self.rules) else {
            return Ok(None);
        };
        let Some(msg) = wordings::read(header.message) else {
            return Ok(None);
        };
        if !self.ask_time(py, &header)? {
            return Ok(None);
        }
        let inner = match header.stamp {
            header::Stamp::Bsd { .. } => &self.envelope,
            header::Stamp::Iso(_) => &self.envelope_3339,
        };
        let envelope = match origin {
            Origin::File { .. } => inner.clone(),
            Origin::Record { envelope, .. } => format!("{envelope}+{inner}"),
        };
        if let (Some(ip), Some(_)) = (msg.peer_ip, &self.peer_of) {
            self.ask_peer(py, ip)?;
        }
        let host = header.host.or(self.host.as_deref());
        let id = match origin {
            Origin::File {
                offset, file_id, ..
            } => digest(&[
                "file",
                host.unwrap_or(""),
                file_id,
                &offset.to_string(),
                text,
            ]),
            Origin::Record { .. } => {
                let Some(key) = time_key(self.last_moment.as_ref(), header.uptime) else {
                    return Ok(None);
                };
                let Some(count) = &self.occurrence_of else {
                    return Ok(None);
                };
                let n: u64 = count
                    .call1(py, (host.unwrap_or(""), &key, header.message))?
                    .extract(py)?;
                digest(&[
                    "text",
                    host.unwrap_or(""),
                    &key,
                    header.message,
                    &n.to_string(),
                ])
            }
        };
        let family = msg.family as usize;
        let Some(&level) = self.families[family].levels.get(msg.variant) else {
            return Ok(None);
        };
        let peer = msg
            .peer_ip
            .and_then(|ip| self.peers.get(ip))
            .and_then(|p| p.as_ref());
        let moment = self.last_moment.as_ref().expect("ask_time said yes");
        let doc = Doc {
            s: self,
            header: &header,
            msg: &msg,
            host,
            id: &id,
            level,
            peer,
            moment,
            envelope: &envelope,
        };
        Ok(doc.write(w, origin).map(|()| family))
    }

    /// The time of the line's header: an RFC 3339 stamp is read here; a 3164 second is the
    /// clock's answer (asked when the second changes). False: left to Python.
    fn ask_time(&mut self, py: Python<'_>, header: &header::Header<'_>) -> PyResult<bool> {
        let (month, day, clock) = match &header.stamp {
            header::Stamp::Iso(iso) => {
                self.last_stamp.clear();
                self.last_moment = Some(iso_moment(iso, &self.envelope_time));
                return Ok(true);
            }
            header::Stamp::Bsd { month, day, clock } => (*month, *day, *clock),
        };
        let mut stamp = std::mem::take(&mut self.stamp_key); // reused: no allocation per line
        stamp.clear();
        stamp.push_str(month);
        stamp.push(' ');
        stamp.push_str(day);
        stamp.push(' ');
        stamp.push_str(clock);
        if stamp != self.last_stamp {
            let answer = self.time_of.call1(py, (month, day, clock))?;
            let answer = answer.bind(py);
            self.last_moment = if answer.is_none() {
                None
            } else {
                let (timestamp, time, naive, epoch): (String, Bound<'_, PyAny>, String, String) =
                    answer.extract()?;
                Some(Moment {
                    timestamp,
                    time: node_of(&time)?,
                    naive,
                    epoch,
                })
            };
            std::mem::swap(&mut self.last_stamp, &mut stamp);
        }
        self.stamp_key = stamp;
        Ok(self.last_moment.is_some())
    }

    /// The enrichment of a peer, asked once per address (the cache is emptied when full).
    fn ask_peer(&mut self, py: Python<'_>, ip: &str) -> PyResult<()> {
        if self.peers.contains_key(ip) {
            return Ok(());
        }
        if self.peers.len() >= PEER_CACHE_ENTRIES {
            self.peers.clear();
        }
        let Some(peer_of) = &self.peer_of else {
            return Ok(());
        };
        let answer = peer_of.call1(py, (ip,))?;
        let answer = answer.bind(py);
        let peer = if answer.is_none() {
            None
        } else {
            let (source, isp): (Bound<'_, PyDict>, Bound<'_, PyAny>) = answer.extract()?;
            let Node::Map(source) = node_of(source.as_any())? else {
                unreachable!()
            };
            Some(Peer {
                source,
                isp: node_of(&isp)?,
            })
        };
        self.peers.insert(ip.to_string(), peer);
        Ok(())
    }
}

/// An RFC 3339 time as Python renders it: @timestamp in UTC (ecs.format_time), the time as
/// printed (`datetime.isoformat()`, identity rule 3), the epoch (clock.epoch_parts).
fn iso_moment(t: &header::Iso, time: &Node) -> Moment {
    let local = days_from_civil(t.year, t.month, t.day) * 86_400
        + t.hour * 3_600
        + t.minute * 60
        + t.second;
    let epoch = local - t.offset_minutes * 60;
    let (y, m, d) = civil_from_days(epoch.div_euclid(86_400));
    let of_day = epoch.rem_euclid(86_400);
    let timestamp = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60,
        t.micro
    );
    let mut naive = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    );
    if t.micro != 0 {
        naive.push_str(&format!(".{:06}", t.micro));
    }
    let sign = if t.offset_minutes < 0 { '-' } else { '+' };
    let off = t.offset_minutes.abs();
    naive.push_str(&format!("{sign}{:02}:{:02}", off / 60, off % 60));
    let epoch_text = format!("{epoch}.{:09}", t.micro * 1_000);
    Moment {
        timestamp,
        time: time.clone(),
        naive,
        epoch: epoch_text,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

/// identity.py rule 3's time: the printed time and the printk uptime in whole microseconds.
fn time_key(moment: Option<&Moment>, uptime: Option<f64>) -> Option<String> {
    let naive = &moment?.naive;
    let usec = match uptime {
        // Python's round() of the float: ties to even; exact as an integer
        Some(u) => ((u * 1_000_000.0).round_ties_even() as u128).to_string(),
        None => String::new(),
    };
    Some(format!("{naive}|{usec}|"))
}

/// identity.py's digest: blake2b-128 of the parts joined by \x1f, in hex.
fn digest(parts: &[&str]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hasher = Blake2bVar::new(16).expect("16 is a valid blake2b size");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b"\x1f");
        }
        hasher.update(part.as_bytes());
    }
    let mut out = [0u8; 16];
    hasher
        .finalize_variable(&mut out)
        .expect("digest size is 16");
    let mut hex = String::with_capacity(32);
    for b in out {
        hex.push(HEX[(b >> 4) as usize] as char);
        hex.push(HEX[(b & 0xf) as usize] as char);
    }
    hex
}

/// Everything one document is made of; `write` lays it out as ecs.to_document does.
struct Doc<'a> {
    s: &'a Scanner,
    header: &'a header::Header<'a>,
    msg: &'a Message<'a>,
    host: Option<&'a str>,
    id: &'a str,
    level: u64,
    peer: Option<&'a Peer>,
    moment: &'a Moment,
    envelope: &'a str,
}

impl Doc<'_> {
    fn write<W: Writer>(&self, w: &mut W, origin: &Origin<'_>) -> Option<()> {
        let (s, msg) = (self.s, self.msg);
        let facts = &s.families[msg.family as usize];
        let host = self.host.filter(|h| !h.is_empty());
        let has_source = msg.peer_ip.is_some() || msg.peer_port.is_some();
        let has_destination = msg.local_ip.is_some() || msg.local_port.is_some();
        let envelope = self.envelope;
        let (log, ingested, time_key) = match origin {
            Origin::File { path, offset, .. } => (Some((*path, *offset)), None, None),
            Origin::Record {
                ingested, time_key, ..
            } => (None, Some(*ingested), *time_key),
        };
        let top = 6
            + host.is_some() as usize
            + log.is_some() as usize
            + has_source as usize
            + has_destination as usize
            + time_key.is_some() as usize;
        w.map(top);
        w.key("@timestamp");
        w.str(&self.moment.timestamp);
        w.key("message");
        w.str(self.header.message);
        w.key("ecs");
        w.map(1);
        w.key("version");
        w.str(&s.ecs_version);
        w.key("event");
        w.map(9 + ingested.is_some() as usize);
        w.key("original");
        w.str(self.header.line);
        w.key("kind");
        w.str(&s.event_kind);
        w.key("category");
        strings(w, &s.event_category);
        w.key("type");
        strings(w, &facts.types);
        w.key("action");
        w.str(&facts.action);
        w.key("dataset");
        w.str(&s.dataset);
        w.key("module");
        w.str(&s.module);
        w.key("id");
        w.str(self.id);
        w.key("severity");
        w.uint(self.level);
        if let Some(ingested) = ingested {
            w.key("ingested");
            w.str(ingested);
        }
        if let Some(host) = host {
            w.key("host");
            w.map(1);
            w.key("name");
            w.str(host);
        }
        if let Some((path, offset)) = log {
            w.key("log");
            w.map(2);
            w.key("file");
            w.map(1);
            w.key("path");
            w.str(path);
            w.key("offset");
            w.uint(offset);
        }
        let typed = msg.peer_ip.is_some() || msg.local_ip.is_some();
        w.key("network");
        w.map(1 + typed as usize);
        w.key("transport");
        w.str(&s.default_transport);
        if typed {
            w.key("type");
            w.str("ipv4");
        }
        if has_source {
            let extra = self.peer.map_or(0, |p| p.source.len());
            w.key("source");
            w.map(msg.peer_ip.is_some() as usize + msg.peer_port.is_some() as usize + extra);
            if let Some(ip) = msg.peer_ip {
                w.key("ip");
                w.str(ip);
            }
            if let Some(port) = msg.peer_port {
                w.key("port");
                w.uint(port);
            }
            if let Some(peer) = self.peer {
                for (k, v) in &peer.source {
                    w.key(k);
                    w.node(v)?;
                }
            }
        }
        if has_destination {
            w.key("destination");
            w.map(msg.local_ip.is_some() as usize + msg.local_port.is_some() as usize);
            if let Some(ip) = msg.local_ip {
                w.key("ip");
                w.str(ip);
            }
            if let Some(port) = msg.local_port {
                w.key("port");
                w.uint(port);
            }
        }
        let ktcp = 4
            + self.peer.is_some() as usize
            + self.header.uptime.is_some() as usize
            + !msg.extras.is_empty() as usize;
        w.key("ktcp");
        w.map(ktcp);
        w.key("variant");
        w.str(msg.variant);
        if let Some(peer) = self.peer {
            w.key("isp");
            w.node(&peer.isp)?;
        }
        if let Some(uptime) = self.header.uptime {
            w.key("kernel");
            w.map(1);
            w.key("uptime");
            w.float(uptime)?;
        }
        if !msg.extras.is_empty() {
            w.key(&facts.namespace);
            w.map(msg.extras.len());
            for (name, value) in &msg.extras {
                w.key(name);
                match value {
                    Value::Int(v) => w.uint(*v),
                    Value::Str(v) => w.str(v),
                }
            }
        }
        w.key("time");
        w.node(&self.moment.time)?;
        w.key("envelope");
        w.str(envelope);
        w.key("parser");
        w.map(1);
        w.key("version");
        w.str(&s.parser_version);
        if let Some(key) = time_key {
            w.key(key);
            w.str(&self.moment.epoch);
        }
        Some(())
    }
}

fn strings<W: Writer>(w: &mut W, items: &[String]) {
    w.array(items.len());
    for item in items {
        w.str(item);
    }
}

/// The version of the interface pipeline/native.py speaks to (config keys, callbacks, returns):
/// a build of another interface (an old `.so` beside newer Python code) is not used.
const INTERFACE: u32 = 1;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("INTERFACE", INTERFACE)?;
    m.add_class::<Scanner>()?;
    Ok(())
}
