//! JSON that follows a schema, character by character: a small pushdown recogniser over a
//! subset of JSON Schema, used to mask tokens whose text would break the partial output.
//!
//! Supported: `type` object (every listed property, in alphabetical order of the keys), string (`minLength`,
//! `maxLength`; no escapes or control characters), integer (`minimum`, `maximum`), number,
//! boolean, null, array (`items`, `minItems`, `maxItems`), and `enum` of strings, numbers,
//! booleans or null. The output has one canonical layout (`{"a": 1, "b": "x"}`), so the model
//! only chooses values; [`JsonState::completion`] closes any prefix in the fewest characters,
//! which is how a generation cut off by the token limit still ends as parseable JSON.

use serde_json::Value;

/// A compiled schema node.
#[derive(Debug, Clone, PartialEq)]
pub enum Schema {
    Object(Vec<(String, Schema)>),
    String {
        min: usize,
        max: usize,
    },
    Integer {
        min: i64,
        max: i64,
    },
    Number,
    Boolean,
    Null,
    /// JSON texts of the allowed values.
    Enum(Vec<String>),
    Array {
        items: Box<Schema>,
        min: usize,
        max: usize,
    },
}

impl Schema {
    /// Compiles the supported subset of a JSON Schema; anything else is an error naming the path.
    pub fn from_json(v: &Value) -> Result<Schema, String> {
        compile(v, "$")
    }
}

fn compile(v: &Value, path: &str) -> Result<Schema, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{path}: a schema must be an object"))?;
    if let Some(e) = obj.get("enum") {
        let items = e
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| format!("{path}.enum: a non-empty array is required"))?;
        let mut texts = Vec::new();
        for it in items {
            if it.is_object() || it.is_array() {
                return Err(format!("{path}.enum: only scalar values are supported"));
            }
            texts.push(it.to_string());
        }
        return Ok(Schema::Enum(texts));
    }
    if let Some(c) = obj.get("const") {
        return Ok(Schema::Enum(vec![c.to_string()]));
    }
    let ty = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{path}: `type` (a string) or `enum` is required"))?;
    let num = |k: &str| obj.get(k).and_then(Value::as_i64);
    let unum = |k: &str| obj.get(k).and_then(Value::as_u64).map(|x| x as usize);
    Ok(match ty {
        "object" => {
            let props = obj
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| {
                    p.iter()
                        .map(|(k, s)| Ok((k.clone(), compile(s, &format!("{path}.{k}"))?)))
                        .collect::<Result<Vec<_>, String>>()
                })
                .transpose()?
                .unwrap_or_default();
            // Sorted here, not by the map: serde_json keeps insertion order when any crate in
            // the build enables its `preserve_order` feature (qdrant-edge does).
            let mut props = props;
            props.sort_by(|a: &(String, Schema), b| a.0.cmp(&b.0));
            Schema::Object(props)
        }
        "string" => Schema::String {
            min: unum("minLength").unwrap_or(0),
            max: unum("maxLength").unwrap_or(usize::MAX),
        },
        "integer" => {
            let (min, max) = (
                num("minimum").unwrap_or(i64::MIN / 10),
                num("maximum").unwrap_or(i64::MAX / 10),
            );
            if min > max {
                return Err(format!("{path}: minimum is above maximum"));
            }
            Schema::Integer { min, max }
        }
        "number" => Schema::Number,
        "boolean" => Schema::Boolean,
        "null" => Schema::Null,
        "array" => {
            let items = obj
                .get("items")
                .ok_or_else(|| format!("{path}: an array needs `items`"))?;
            let min = unum("minItems").unwrap_or(0);
            let max = unum("maxItems").unwrap_or(usize::MAX);
            if min > max {
                return Err(format!("{path}: minItems is above maxItems"));
            }
            Schema::Array {
                items: Box::new(compile(items, &format!("{path}.items"))?),
                min,
                max,
            }
        }
        other => return Err(format!("{path}: type {other:?} is not supported")),
    })
}

#[derive(Debug, Clone)]
enum Frame<'s> {
    /// Text that must come next, from byte `pos`.
    Lit {
        text: String,
        pos: usize,
    },
    /// One of several literal texts; `typed` so far.
    Choice {
        options: &'s [String],
        typed: String,
    },
    /// An object whose property `next` comes next (the previous ones are done).
    Obj {
        props: &'s [(String, Schema)],
        next: usize,
    },
    /// Inside a string, after the opening quote.
    Str {
        min: usize,
        max: usize,
        len: usize,
    },
    Int {
        min: i64,
        max: i64,
        buf: String,
    },
    Num {
        buf: String,
    },
    /// After `[`: `count` items done; `sep` = an item just ended.
    Arr {
        items: &'s Schema,
        min: usize,
        max: usize,
        count: usize,
    },
}

/// The state of a partial JSON text against a schema. Cheap to clone.
#[derive(Debug, Clone)]
pub struct JsonState<'s> {
    stack: Vec<Frame<'s>>,
}

fn push_value<'s>(stack: &mut Vec<Frame<'s>>, s: &'s Schema) {
    match s {
        Schema::Object(props) if props.is_empty() => stack.push(Frame::Lit {
            text: "{}".into(),
            pos: 0,
        }),
        Schema::Object(props) => {
            stack.push(Frame::Obj { props, next: 1 });
            push_value(stack, &props[0].1);
            stack.push(Frame::Lit {
                text: format!("{{{}: ", Value::String(props[0].0.clone())),
                pos: 0,
            });
        }
        Schema::String { min, max } => {
            stack.push(Frame::Str {
                min: *min,
                max: *max,
                len: 0,
            });
            stack.push(Frame::Lit {
                text: "\"".into(),
                pos: 0,
            });
        }
        Schema::Integer { min, max } => stack.push(Frame::Int {
            min: *min,
            max: *max,
            buf: String::new(),
        }),
        Schema::Number => stack.push(Frame::Num { buf: String::new() }),
        Schema::Boolean => stack.push(Frame::Choice {
            options: bool_literals(),
            typed: String::new(),
        }),
        Schema::Null => stack.push(Frame::Lit {
            text: "null".into(),
            pos: 0,
        }),
        Schema::Enum(options) => stack.push(Frame::Choice {
            options,
            typed: String::new(),
        }),
        Schema::Array { items, min, max } => {
            stack.push(Frame::Arr {
                items,
                min: *min,
                max: *max,
                count: 0,
            });
            stack.push(Frame::Lit {
                text: "[".into(),
                pos: 0,
            });
        }
    }
}

/// Can some integer in [min, max] be written starting with `prefix` ("" or "-" or digits)?
fn int_feasible(prefix: &str, min: i64, max: i64) -> bool {
    let (neg, digits) = match prefix.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, prefix),
    };
    if digits.len() > 1 && digits.starts_with('0') {
        return false;
    }
    if digits == "0" && neg {
        return false;
    }
    if digits.is_empty() {
        return if neg { min < 0 } else { true };
    }
    let Ok(p) = digits.parse::<i128>() else {
        return false;
    };
    if p == 0 {
        return (min..=max).contains(&0);
    }
    // Numbers with this prefix and k more digits: [p·10^k, p·10^k + 10^k − 1] (magnitudes).
    let mut scale: i128 = 1;
    for _ in 0..20 {
        let (lo, hi) = (p * scale, p * scale + scale - 1);
        let (lo, hi) = if neg { (-hi, -lo) } else { (lo, hi) };
        if hi >= min as i128 && lo <= max as i128 {
            return true;
        }
        scale *= 10;
        if p * scale > i64::MAX as i128 {
            break;
        }
    }
    false
}

fn int_complete(buf: &str, min: i64, max: i64) -> bool {
    buf.parse::<i64>().is_ok_and(|v| (min..=max).contains(&v)) && int_feasible(buf, min, max)
}

fn num_complete(buf: &str) -> bool {
    !buf.is_empty()
        && !buf.ends_with(['-', '.', 'e', 'E', '+'])
        && buf.parse::<f64>().is_ok_and(f64::is_finite)
}

fn num_prefix_ok(buf: &str) -> bool {
    // -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? as a prefix.
    let b = buf.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i = 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_len = i - int_start;
    if int_len > 1 && b[int_start] == b'0' {
        return false;
    }
    if i == b.len() {
        return true;
    }
    if int_len == 0 {
        return false;
    }
    if b[i] == b'.' {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == b.len() {
            return true;
        }
        if i == s {
            return false;
        }
    }
    if b[i] == b'e' || b[i] == b'E' {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        return i == b.len();
    }
    false
}

impl<'s> JsonState<'s> {
    pub fn new(schema: &'s Schema) -> JsonState<'s> {
        let mut stack = Vec::new();
        push_value(&mut stack, schema);
        JsonState { stack }
    }

    /// The whole value has been written.
    pub fn is_complete(&self) -> bool {
        self.stack.is_empty()
    }

    /// Could the text end here (a number at top level may still grow, but is valid)?
    pub fn can_end(&self) -> bool {
        match self.stack.as_slice() {
            [] => true,
            [Frame::Int { min, max, buf }] => int_complete(buf, *min, *max),
            [Frame::Num { buf }] => num_complete(buf),
            _ => false,
        }
    }

    /// Resolves frames that move on without input (an object between properties).
    fn settle(&mut self) {
        while let Some(Frame::Obj { props, next }) = self.stack.last().cloned() {
            self.stack.pop();
            if next < props.len() {
                self.stack.push(Frame::Obj {
                    props,
                    next: next + 1,
                });
                push_value(&mut self.stack, &props[next].1);
                self.stack.push(Frame::Lit {
                    text: format!(", {}: ", Value::String(props[next].0.clone())),
                    pos: 0,
                });
            } else {
                self.stack.push(Frame::Lit {
                    text: "}".into(),
                    pos: 0,
                });
            }
        }
    }

    /// Feeds one character; false (and the state is then unusable) if it breaks the schema.
    pub fn feed(&mut self, c: char) -> bool {
        loop {
            self.settle();
            let Some(top) = self.stack.last_mut() else {
                return false;
            };
            match top {
                Frame::Lit { text, pos } => {
                    let want = text[*pos..].chars().next();
                    if want != Some(c) {
                        return false;
                    }
                    *pos += c.len_utf8();
                    if *pos == text.len() {
                        self.stack.pop();
                    }
                    return true;
                }
                Frame::Choice { options, typed } => {
                    let mut t = typed.clone();
                    t.push(c);
                    if options.iter().any(|o| o.starts_with(&t)) {
                        let exact_only = options
                            .iter()
                            .filter(|o| o.starts_with(&t))
                            .all(|o| *o == t);
                        if exact_only {
                            self.stack.pop();
                        } else {
                            *typed = t;
                        }
                        return true;
                    }
                    if options.iter().any(|o| o == typed) {
                        self.stack.pop();
                        continue;
                    }
                    return false;
                }
                Frame::Str { min, max, len } => {
                    if c == '"' {
                        if *len >= *min {
                            self.stack.pop();
                            return true;
                        }
                        return false;
                    }
                    if c == '\\' || (c as u32) < 0x20 || *len >= *max {
                        return false;
                    }
                    *len += 1;
                    return true;
                }
                Frame::Int { min, max, buf } => {
                    if c == '-' || c.is_ascii_digit() {
                        let mut t = buf.clone();
                        t.push(c);
                        if int_feasible(&t, *min, *max) {
                            *buf = t;
                            return true;
                        }
                    }
                    if int_complete(buf, *min, *max) {
                        self.stack.pop();
                        continue;
                    }
                    return false;
                }
                Frame::Num { buf } => {
                    let mut t = buf.clone();
                    t.push(c);
                    if num_prefix_ok(&t) {
                        *buf = t;
                        return true;
                    }
                    if num_complete(buf) {
                        self.stack.pop();
                        continue;
                    }
                    return false;
                }
                Frame::Arr {
                    items,
                    min,
                    max,
                    count,
                } => {
                    let (items, at_least, at_most, n) = (*items, *min, *max, *count);
                    if c == ']' && n >= at_least {
                        self.stack.pop();
                        return true;
                    }
                    if n == 0 && at_most > 0 {
                        *count = 1;
                        push_value(&mut self.stack, items);
                        continue;
                    }
                    if n > 0 && c == ',' && n < at_most {
                        *count = n + 1;
                        push_value(&mut self.stack, items);
                        self.stack.push(Frame::Lit {
                            text: " ".into(),
                            pos: 0,
                        });
                        return true;
                    }
                    return false;
                }
                Frame::Obj { .. } => unreachable!("settled above"),
            }
        }
    }

    /// Feeds a whole text; false if any character breaks the schema.
    pub fn feed_str(&mut self, s: &str) -> bool {
        s.chars().all(|c| self.feed(c))
    }

    /// The shortest-ish text that completes the value from here.
    pub fn completion(&self) -> String {
        let mut st = self.clone();
        let mut out = String::new();
        for _ in 0..100_000 {
            st.settle();
            let Some(top) = st.stack.last() else {
                return out;
            };
            let next: Option<char> = match top {
                Frame::Lit { text, pos } => text[*pos..].chars().next(),
                Frame::Choice { options, typed } => {
                    if options.iter().any(|o| o == typed) {
                        st.stack.pop();
                        None
                    } else {
                        options
                            .iter()
                            .filter(|o| o.starts_with(typed.as_str()))
                            .min_by_key(|o| o.len())
                            .and_then(|o| o[typed.len()..].chars().next())
                    }
                }
                Frame::Str { min, len, .. } => Some(if len >= min { '"' } else { 'x' }),
                Frame::Int { min, max, buf } => {
                    if int_complete(buf, *min, *max) {
                        st.stack.pop();
                        None
                    } else if buf.is_empty() {
                        let target = 0i64.clamp(*min, *max).to_string();
                        target.chars().next()
                    } else {
                        ('0'..='9').find(|d| {
                            let mut t = buf.clone();
                            t.push(*d);
                            int_feasible(&t, *min, *max)
                        })
                    }
                }
                Frame::Num { buf } => {
                    if num_complete(buf) {
                        st.stack.pop();
                        None
                    } else {
                        Some('0')
                    }
                }
                Frame::Arr { min, count, .. } => {
                    if count >= min {
                        Some(']')
                    } else if *count == 0 {
                        // Start an item: feed its first completion character below.
                        let mut probe = st.clone();
                        if let Some(Frame::Arr { items, count, .. }) = probe.stack.last_mut() {
                            *count = 1;
                            let items = *items;
                            push_value(&mut probe.stack, items);
                        }
                        st = probe;
                        None
                    } else {
                        Some(',')
                    }
                }
                Frame::Obj { .. } => None,
            };
            if let Some(c) = next {
                if !st.feed(c) {
                    break;
                }
                out.push(c);
            }
        }
        out
    }
}

static BOOLS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

fn bools() -> Vec<String> {
    vec!["true".into(), "false".into()]
}

fn bool_literals() -> &'static [String] {
    BOOLS.get_or_init(bools)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::from_json(&serde_json::json!({
            "type": "object",
            "properties": {
                "level": {"type": "integer", "minimum": 0, "maximum": 4},
                "kind": {"enum": ["pirmā", "otrā", "trešā"]},
                "note": {"type": "string", "maxLength": 20},
                "ok": {"type": "boolean"},
                "scores": {"type": "array", "items": {"type": "integer", "minimum": -5, "maximum": 120}, "maxItems": 3},
                "x": {"type": "number"}
            }
        }))
        .unwrap()
    }

    #[test]
    fn accepts_the_canonical_layout_only() {
        let s = schema();
        let good = r#"{"kind": "otrā", "level": 3, "note": "labi", "ok": true, "scores": [1, -5, 120], "x": -1.5e3}"#;
        let mut st = JsonState::new(&s);
        assert!(st.feed_str(good));
        assert!(st.is_complete());
        serde_json::from_str::<Value>(good).unwrap();
        for bad in [
            r#"{"level": 5"#,
            r#"{"level": 03"#,
            r#"{"level":3"#,
            r#"{"level": 3, "kind": "ceturtā""#,
            r#"{"level": 3, "kind": "otrā", "note": "a\"#,
            r#"{"level": 3, "kind": "otrā", "note": "labi", "ok": yes"#,
            r#"{"level": 3, "kind": "otrā", "note": "labi", "ok": true, "scores": [1, 2, 3, 4"#,
            r#"{"level": 3, "kind": "otrā", "note": "labi", "ok": true, "scores": [200"#,
        ] {
            let mut st = JsonState::new(&s);
            assert!(!st.feed_str(bad), "accepted {bad}");
        }
    }

    #[test]
    fn every_prefix_completes_to_valid_json() {
        let s = schema();
        let good = r#"{"kind": "otrā", "level": 3, "note": "labi", "ok": true, "scores": [1, -5, 120], "x": -1.5e3}"#;
        for (i, _) in good.char_indices() {
            let mut st = JsonState::new(&s);
            assert!(st.feed_str(&good[..i]));
            let done = format!("{}{}", &good[..i], st.completion());
            let v: Value = serde_json::from_str(&done).unwrap_or_else(|e| panic!("{done}: {e}"));
            let level = v["level"].as_i64().unwrap();
            assert!((0..=4).contains(&level), "{done}");
            let mut check = JsonState::new(&s);
            assert!(check.feed_str(&done) && check.is_complete(), "{done}");
        }
    }

    #[test]
    fn integer_ranges_are_enforced_by_prefix() {
        assert!(int_feasible("1", 10, 19));
        assert!(!int_feasible("2", 10, 19));
        assert!(int_feasible("-", -3, 5));
        assert!(!int_feasible("-", 0, 5));
        assert!(!int_feasible("-0", -3, 5));
        assert!(int_complete("12", 10, 19));
        assert!(!int_complete("1", 10, 19));
    }

    #[test]
    fn unsupported_schemas_name_the_path() {
        let e = Schema::from_json(
            &serde_json::json!({"type": "object", "properties": {"a": {"type": "date"}}}),
        )
        .unwrap_err();
        assert!(e.contains("$.a"), "{e}");
    }
}
