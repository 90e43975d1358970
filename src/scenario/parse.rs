//! Scenario files: TOML, checked key by key so that every mistake is one
//! line naming the file, the line and what is allowed.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{Explain, Scenario};
use crate::settings::{Group, KnobId, Settings};
use crate::workload::{KnobSpec, Unit};

/// A scenario that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file's path, or the built-in scenario's name.
    pub origin: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}, line {line}: {}", self.origin, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

const EXPLAIN_KEYS: [&str; 5] = ["models", "asyncio", "tokio", "try", "watch"];

/// An explanation a scenario file leaves out reads as this in the panel.
pub const NOT_WRITTEN: &str = "(not written in this scenario's file)";

pub fn parse(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    let error = |span: Option<Range<usize>>, message: String| ScenarioError {
        origin: origin.to_string(),
        line: span.map(|s| line_of(text, s.start)),
        message,
    };
    let document = DeTable::parse(text).map_err(|e| {
        let first = e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .to_string();
        error(e.span(), format!("not valid TOML: {first}"))
    })?;
    let mut name = None;
    let mut summary = None;
    let mut explain = None;
    let mut groups: Vec<(Group, &DeTable<'_>)> = Vec::new();
    let mut runtime = None;
    for (key, value) in document.get_ref().iter() {
        let span = Some(key.span());
        match key.get_ref().as_ref() {
            "name" => {
                name = Some(string(value).map_err(|m| error(span.clone(), format!("`name` {m}")))?)
            }
            "summary" => {
                summary =
                    Some(string(value).map_err(|m| error(span.clone(), format!("`summary` {m}")))?)
            }
            "explain" => {
                explain =
                    Some(table(value).map_err(|m| error(span.clone(), format!("[explain] {m}")))?)
            }
            "runtime" => {
                runtime =
                    Some(table(value).map_err(|m| error(span.clone(), format!("[runtime] {m}")))?)
            }
            other => match Group::WORKLOADS.iter().find(|g| g.name() == other) {
                Some(&group) => groups.push((
                    group,
                    table(value).map_err(|m| error(span.clone(), format!("[{other}] {m}")))?,
                )),
                None => {
                    let mut allowed = vec!["name", "summary", "explain", "runtime"];
                    allowed.extend(Group::WORKLOADS.iter().map(|g| g.name()));
                    return Err(error(
                        span,
                        format!("unknown key `{other}`; allowed: {}", allowed.join(", ")),
                    ));
                }
            },
        }
    }
    let missing = |what: &str| error(None, format!("missing {what}"));
    // Only the workload is required: a file of one table runs, named after
    // itself, with its knobs and the defaults of the rest.
    let name = name.unwrap_or_else(|| {
        std::path::Path::new(origin)
            .file_stem()
            .map_or_else(|| origin.to_string(), |s| s.to_string_lossy().into_owned())
    });
    let summary = summary.unwrap_or_else(|| format!("from {origin}"));
    if groups.is_empty() {
        let names: Vec<&str> = Group::WORKLOADS.iter().map(|g| g.name()).collect();
        return Err(missing(&format!(
            "a workload table, one of [{}]",
            names.join("], [")
        )));
    }

    let mut texts = Vec::new();
    for (key, value) in explain.iter().flat_map(|table| table.iter()) {
        let key_name = key.get_ref().as_ref();
        if !EXPLAIN_KEYS.contains(&key_name) {
            return Err(error(
                Some(key.span()),
                format!(
                    "unknown key `{key_name}` in [explain]; allowed: {}",
                    EXPLAIN_KEYS.join(", ")
                ),
            ));
        }
        let text =
            string(value).map_err(|m| error(Some(key.span()), format!("`{key_name}` {m}")))?;
        texts.push((key_name.to_string(), text));
    }
    let text_of = |key: &str| {
        texts
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(|| NOT_WRITTEN.to_string(), |(_, t)| t.clone())
    };
    let explain = Explain {
        models: text_of("models"),
        asyncio: text_of("asyncio"),
        tokio: text_of("tokio"),
        try_this: text_of("try"),
        watch: text_of("watch"),
    };

    let workloads: Vec<Group> = groups.iter().map(|(g, _)| *g).collect();
    let mut settings = Settings::defaults(&workloads);
    let runtime = runtime.map(|t| (Group::Runtime, t));
    for (group, knobs) in groups.into_iter().chain(runtime) {
        for (key, value) in knobs.iter() {
            let key_name = key.get_ref().as_ref();
            let specs = group.knobs();
            let Some(index) = specs.iter().position(|s| s.id == key_name) else {
                let ids: Vec<&str> = specs.iter().map(|s| s.id).collect();
                return Err(error(
                    Some(key.span()),
                    format!(
                        "unknown knob `{key_name}` in [{}]; allowed: {}",
                        group.name(),
                        ids.join(", ")
                    ),
                ));
            };
            let spec = &specs[index];
            let number = knob_value(spec, value.get_ref()).map_err(|got| {
                error(
                    Some(value.span()),
                    format!("`{key_name}` must be {}, got {got}", spec.accepts()),
                )
            })?;
            settings.set(KnobId { group, index }, number);
        }
    }
    Ok(Scenario {
        name,
        summary,
        explain,
        settings,
    })
}

/// The knob's stored value, or a description of what was given instead.
fn knob_value(spec: &KnobSpec, value: &DeValue<'_>) -> Result<u64, String> {
    let given = || describe(value);
    let number = match (spec.unit, value) {
        (Unit::Count | Unit::Percent | Unit::Micros, DeValue::Integer(int)) => {
            let n = i128::from_str_radix(int.as_str(), int.radix()).map_err(|_| given())?;
            // A bare number for a duration counts microseconds only when 0.
            if spec.unit == Unit::Micros && n != 0 {
                return Err(format!("{n} without a unit"));
            }
            n
        }
        (Unit::Micros, DeValue::String(text)) => {
            let d: Duration = humantime::parse_duration(text.trim()).map_err(|_| given())?;
            d.as_micros() as i128
        }
        (Unit::Choice(names), DeValue::String(text)) => names
            .iter()
            .position(|n| *n == text.as_ref())
            .ok_or_else(given)? as i128,
        _ => return Err(given()),
    };
    let in_range = u64::try_from(number)
        .ok()
        .filter(|n| spec.range.contains(n));
    in_range.ok_or_else(given)
}

fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("\"{s}\""),
        DeValue::Integer(i) => i.as_str().to_string(),
        DeValue::Float(f) => f.as_str().to_string(),
        DeValue::Boolean(b) => b.to_string(),
        other => format!("a {}", other.type_str()),
    }
}

fn string(value: &Spanned<DeValue<'_>>) -> Result<String, String> {
    match value.get_ref() {
        DeValue::String(s) => Ok(s.to_string()),
        other => Err(format!("must be a string, got {}", describe(other))),
    }
}

fn table<'a, 'i>(value: &'a Spanned<DeValue<'i>>) -> Result<&'a DeTable<'i>, String> {
    match value.get_ref() {
        DeValue::Table(t) => Ok(t),
        other => Err(format!("must be a table, got {}", describe(other))),
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
