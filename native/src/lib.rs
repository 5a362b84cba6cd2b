//! ktcp's optional fast path (`pipeline._native`): blocks of kern.log bytes in, NDJSON out.
//!
//! pipeline/native.py drives it; the Python chain stays the reference. For each candidate line
//! of a block (the catalog's keyword pattern, as the Python scanner uses it) this either
//! renders the ECS document itself, byte for byte what `ecs.to_document` + `orjson.dumps`
//! give, or declines the line, which the Python chain then reads. It renders only lines of one
//! shape: an RFC 3164 kern.log line read from a file (identity rule 2), with one of the common
//! wordings of message.rs. What it cannot know by itself it asks Python once and keeps:
//! the UTC time of a printed second (the chain's clock: zone, year inference) and the
//! enrichment of a peer address (the resolver), both already rendered as JSON.

mod message;
mod syslog;
mod text;

use std::collections::{HashMap, HashSet};

use blake2::digest::{Update, VariableOutput};
use blake2::Blake2bVar;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use regex::bytes::Regex;

use message::{Message, Value, FAMILY_ACTIONS};
use text::{push_float, push_int, push_key, push_str};

const PEER_CACHE_ENTRIES: usize = 1 << 13;
/// Rendered documents are handed over in chunks of about this size: a block of TCP lines
/// renders to several times its size, and the sink writes each chunk as it comes.
const CHUNK_BYTES: usize = 1 << 18;

/// What the Python side says of each family (event.type, namespace, level per variant).
struct FamilyFacts {
    action: String,
    types_json: Vec<u8>,
    namespace: String,
    levels: HashMap<String, u64>,
}

/// Rendered pieces of one peer's enrichment: `"as":{...},"geo":{...}` and the isp object.
struct Peer {
    source_tail: Vec<u8>,
    isp: Vec<u8>,
}

#[pyclass(module = "pipeline._native")]
struct Scanner {
    candidate: Regex,
    max_line_bytes: usize,
    host: Option<String>,
    rules: syslog::Rules,
    families: Vec<FamilyFacts>,
    /// constants of every document (ecs.py)
    ecs_version: String,
    event_kind: String,
    event_category_json: Vec<u8>,
    dataset: String,
    module: String,
    default_transport: String,
    envelope: String,
    parser_version: String,
    time_of: Py<PyAny>,
    peer_of: Option<Py<PyAny>>,
    last_stamp: String,
    last_time: Option<(Vec<u8>, Vec<u8>)>,
    peers: HashMap<String, Option<Peer>>,
}

fn get<'py, T>(config: &Bound<'py, PyDict>, key: &str) -> PyResult<T>
where
    T: pyo3::conversion::FromPyObjectOwned<'py>,
{
    match config.get_item(key)? {
        Some(value) => value.extract::<T>().map_err(Into::into),
        None => Err(PyValueError::new_err(format!("native scanner config lacks {key:?}"))),
    }
}

fn json_list(items: &[String]) -> Vec<u8> {
    let mut out = vec![b'['];
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(&mut out, item);
    }
    out.push(b']');
    out
}

#[pymethods]
impl Scanner {
    #[new]
    #[pyo3(signature = (config, time_of, peer_of=None))]
    fn new(
        config: &Bound<'_, PyDict>,
        time_of: Py<PyAny>,
        peer_of: Option<Py<PyAny>>,
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
            let types: Vec<String> = get(&facts, "event_type")?;
            families.push(FamilyFacts {
                action: action.to_string(),
                types_json: json_list(&types),
                namespace: get(&facts, "namespace")?,
                levels: get(&facts, "levels")?,
            });
        }
        let category: Vec<String> = get(config, "event_category")?;
        Ok(Scanner {
            candidate,
            max_line_bytes: get(config, "max_line_bytes")?,
            host: get(config, "host")?,
            rules: syslog::Rules {
                facility_levels: get::<HashSet<String>>(config, "facility_levels")?,
                kernel_idents: get::<HashSet<String>>(config, "kernel_idents")?,
            },
            families,
            ecs_version: get(config, "ecs_version")?,
            event_kind: get(config, "event_kind")?,
            event_category_json: json_list(&category),
            dataset: get(config, "dataset")?,
            module: get(config, "module")?,
            default_transport: get(config, "default_transport")?,
            envelope: get(config, "envelope")?,
            parser_version: get(config, "parser_version")?,
            time_of,
            peer_of,
            last_stamp: String::new(),
            last_time: None,
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
    ) -> PyResult<(Bound<'py, PyList>, Option<usize>, usize, Bound<'py, PyDict>)> {
        let items = PyList::empty(py);
        let mut counts = [0usize; FAMILY_ACTIONS.len()];
        let mut out: Vec<u8> = Vec::new();
        let mut rendered = 0usize;
        let mut candidates = 0usize;
        let mut pos = pos;
        let mut resume = None;
        let n = data.len();
        while pos <= n {
            let Some(hit) = self.candidate.find_at(data, pos) else { break };
            let start = data[..hit.start()].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let end = data[hit.end()..].iter().position(|&b| b == b'\n').map_or(n, |i| hit.end() + i);
            pos = end + 1;
            candidates += 1;
            let mut line = &data[start..end];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            let mark = out.len();
            match self.render(py, line, path, base_offset + start as u64, file_id, &mut out)? {
                Some(family) => {
                    counts[family] += 1;
                    rendered += 1;
                    if out.len() >= CHUNK_BYTES {
                        resume = Some(pos);
                        break;
                    }
                }
                None => {
                    out.truncate(mark);
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
}

impl Scanner {
    /// Render one line into `out`; Ok(None) declines it (the caller drops what was written).
    fn render(
        &mut self,
        py: Python<'_>,
        line: &[u8],
        path: &str,
        offset: u64,
        file_id: &str,
        out: &mut Vec<u8>,
    ) -> PyResult<Option<usize>> {
        if line.len() > self.max_line_bytes || line.contains(&0) {
            return Ok(None);
        }
        let Ok(text) = std::str::from_utf8(line) else { return Ok(None) };
        let Some(header) = syslog::read(text, &self.rules) else { return Ok(None) };
        let Some(msg) = message::read(header.message) else { return Ok(None) };
        let Some((timestamp, time_json)) = self.time(py, &header)? else { return Ok(None) };
        let peer = match (msg.peer_ip, &self.peer_of) {
            (Some(ip), Some(_)) => {
                self.ask_peer(py, ip)?;
                self.peers.get(ip).and_then(|p| p.as_ref())
            }
            _ => None,
        };
        let family = msg.family as usize;
        let facts = &self.families[family];
        let Some(&level) = facts.levels.get(msg.variant) else { return Ok(None) };
        let host = header.host.or(self.host.as_deref());

        out.extend_from_slice(b"{\"@timestamp\":");
        out.extend_from_slice(&timestamp);
        out.extend_from_slice(b",\"message\":");
        push_str(out, header.message);
        out.extend_from_slice(b",\"ecs\":{\"version\":");
        push_str(out, &self.ecs_version);
        out.extend_from_slice(b"},\"event\":{\"original\":");
        push_str(out, text);
        out.extend_from_slice(b",\"kind\":");
        push_str(out, &self.event_kind);
        out.extend_from_slice(b",\"category\":");
        out.extend_from_slice(&self.event_category_json);
        out.extend_from_slice(b",\"type\":");
        out.extend_from_slice(&facts.types_json);
        out.extend_from_slice(b",\"action\":");
        push_str(out, &facts.action);
        out.extend_from_slice(b",\"dataset\":");
        push_str(out, &self.dataset);
        out.extend_from_slice(b",\"module\":");
        push_str(out, &self.module);
        out.extend_from_slice(b",\"id\":\"");
        event_id(out, host.unwrap_or(""), file_id, offset, text);
        out.extend_from_slice(b"\",\"severity\":");
        push_int(out, level);
        out.push(b'}');
        if let Some(host) = host.filter(|h| !h.is_empty()) {
            out.extend_from_slice(b",\"host\":{\"name\":");
            push_str(out, host);
            out.push(b'}');
        }
        out.extend_from_slice(b",\"log\":{\"file\":{\"path\":");
        push_str(out, path);
        out.extend_from_slice(b"},\"offset\":");
        push_int(out, offset);
        out.extend_from_slice(b"},\"network\":{\"transport\":");
        push_str(out, &self.default_transport);
        if msg.peer_ip.is_some() || msg.local_ip.is_some() {
            out.extend_from_slice(b",\"type\":\"ipv4\"");
        }
        out.push(b'}');
        if msg.peer_ip.is_some() || msg.peer_port.is_some() {
            out.extend_from_slice(b",\"source\":{");
            let mut first = true;
            if let Some(ip) = msg.peer_ip {
                push_key(out, "ip");
                push_str(out, ip);
                first = false;
            }
            if let Some(port) = msg.peer_port {
                if !first {
                    out.push(b',');
                }
                push_key(out, "port");
                push_int(out, port);
            }
            if let Some(p) = &peer {
                if !p.source_tail.is_empty() {
                    out.push(b',');
                    out.extend_from_slice(&p.source_tail);
                }
            }
            out.push(b'}');
        }
        if msg.local_ip.is_some() || msg.local_port.is_some() {
            out.extend_from_slice(b",\"destination\":{");
            if let Some(ip) = msg.local_ip {
                push_key(out, "ip");
                push_str(out, ip);
            }
            if let Some(port) = msg.local_port {
                if msg.local_ip.is_some() {
                    out.push(b',');
                }
                push_key(out, "port");
                push_int(out, port);
            }
            out.push(b'}');
        }
        out.extend_from_slice(b",\"ktcp\":{\"variant\":");
        push_str(out, msg.variant);
        if let Some(p) = &peer {
            out.extend_from_slice(b",\"isp\":");
            out.extend_from_slice(&p.isp);
        }
        if let Some(uptime) = header.uptime {
            out.extend_from_slice(b",\"kernel\":{\"uptime\":");
            if push_float(out, uptime).is_none() {
                return Ok(None);
            }
            out.push(b'}');
        }
        if !msg.extras.is_empty() {
            out.push(b',');
            push_key(out, &facts.namespace);
            extras(out, &msg);
        }
        out.extend_from_slice(b",\"time\":");
        out.extend_from_slice(&time_json);
        out.extend_from_slice(b",\"envelope\":");
        push_str(out, &self.envelope);
        out.extend_from_slice(b",\"parser\":{\"version\":");
        push_str(out, &self.parser_version);
        out.extend_from_slice(b"}}}\n");
        Ok(Some(family))
    }

    /// (`@timestamp`, the `ktcp.time` object), both as JSON, of a printed second; None: the
    /// clock cannot place it (Python reads the line).
    fn time(
        &mut self,
        py: Python<'_>,
        header: &syslog::Header<'_>,
    ) -> PyResult<Option<(Vec<u8>, Vec<u8>)>> {
        let stamp = format!("{} {} {}", header.month, header.day, header.clock);
        if stamp != self.last_stamp {
            let answer = self.time_of.call1(py, (header.month, header.day, header.clock))?;
            self.last_time = answer.extract::<Option<(Vec<u8>, Vec<u8>)>>(py)?;
            self.last_stamp = stamp;
        }
        Ok(self.last_time.clone())
    }

    /// The enrichment of a peer, asked once per address (the cache is emptied when full).
    fn ask_peer(&mut self, py: Python<'_>, ip: &str) -> PyResult<()> {
        if !self.peers.contains_key(ip) {
            if self.peers.len() >= PEER_CACHE_ENTRIES {
                self.peers.clear();
            }
            let Some(peer_of) = &self.peer_of else { return Ok(()) };
            let answer = peer_of.call1(py, (ip,))?;
            let peer = answer
                .extract::<Option<(Vec<u8>, Vec<u8>)>>(py)?
                .map(|(source_tail, isp)| Peer { source_tail, isp });
            self.peers.insert(ip.to_string(), peer);
        }
        Ok(())
    }
}

fn extras(out: &mut Vec<u8>, msg: &Message<'_>) {
    out.push(b'{');
    for (i, (name, value)) in msg.extras.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_key(out, name);
        match value {
            Value::Int(v) => push_int(out, *v),
            Value::Str(s) => push_str(out, s),
        }
    }
    out.push(b'}');
}

/// identity.py rule 2: blake2b-128 of `file \x1f host \x1f file id \x1f offset \x1f line`.
fn event_id(out: &mut Vec<u8>, host: &str, file_id: &str, offset: u64, line: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hasher = Blake2bVar::new(16).expect("16 is a valid blake2b size");
    let offset = offset.to_string();
    for (i, part) in ["file", host, file_id, &offset, line].iter().enumerate() {
        if i > 0 {
            hasher.update(b"\x1f");
        }
        hasher.update(part.as_bytes());
    }
    let mut digest = [0u8; 16];
    hasher.finalize_variable(&mut digest).expect("digest size is 16");
    for b in digest {
        out.push(HEX[(b >> 4) as usize]);
        out.push(HEX[(b & 0xf) as usize]);
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scanner>()?;
    Ok(())
}
