//! Route filters: a CEL expression (the Common Expression Language of Kubernetes, Envoy and
//! ngrok, by the `cel` crate) over a verified delivery, deciding whether the app gets it.
//!
//! Compiled once, when the config loads: a syntax error or a name the expression cannot see is
//! a config problem with its line and column. Evaluated per delivery, after verification and
//! before dedup, over `body` (the JSON body, or a form body's fields), `headers` (lower-case
//! names, first values), `query` (the query string's parameters), `route` and `event_id`. A
//! runtime error (a field the body lacks) is reported to the caller, which counts it and treats
//! it as no match. Knows nothing of HTTP beyond the header map it is handed.

use std::collections::BTreeMap;
use std::sync::Arc;

use cel::common::ast::{EntryExpr, Expr, IdedExpr, MapExpr, StructExpr};
use http::HeaderMap;

/// The names an expression may use.
pub const VARIABLES: [&str; 5] = ["body", "headers", "query", "route", "event_id"];

/// A compiled filter expression.
#[derive(Clone)]
pub struct Filter {
    program: Arc<cel::Program>,
    env: Arc<cel::Env>,
    source: Arc<str>,
    /// Which of `VARIABLES` the expression reads: only those are built per delivery (the
    /// body's conversion is most of a filter's cost; headers are a map to fill).
    uses: [bool; VARIABLES.len()],
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Filter").field(&self.source).finish()
    }
}

impl PartialEq for Filter {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// Why an expression does not compile: where (1-based, in the expression's own text) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// What an expression sees of a delivery.
pub struct Input<'a> {
    pub body: &'a [u8],
    pub headers: &'a HeaderMap,
    pub query: Option<&'a str>,
    pub route: &'a str,
    pub event_id: Option<&'a str>,
}

impl Filter {
    pub fn compile(source: &str) -> Result<Self, CompileError> {
        let env = Arc::new(cel::Env::stdlib());
        let program = env.compile(source).map_err(|errors| {
            let first = errors.errors.first();
            CompileError {
                line: first.map_or(1, |e| usize::try_from(e.pos.0).unwrap_or(1).max(1)),
                column: first.map_or(1, |e| usize::try_from(e.pos.1).unwrap_or(0) + 1),
                message: first.map_or_else(|| "syntax error".to_owned(), |e| e.msg.clone()),
            }
        })?;
        // CEL here is checked dynamically: catch the misspelt name at load, not per request.
        // Names a comprehension (`exists(i, ...)`) binds are the expression's own, inside it.
        let mut free = Vec::new();
        free_names(program.expression(), &mut Vec::new(), &mut free);
        if let Some(&(name, id)) = free.iter().find(|(n, _)| !VARIABLES.contains(n)) {
            let (line, column) = program
                .source_info()
                .offset_for(id)
                .map_or((1, 1), |(start, _)| line_column(source, start));
            return Err(CompileError {
                line,
                column,
                message: format!(
                    "unknown name {name:?}; an expression sees {}",
                    VARIABLES.join(", ")
                ),
            });
        }
        let uses = VARIABLES.map(|v| free.iter().any(|(n, _)| *n == v));
        Ok(Self {
            program: Arc::new(program),
            env,
            source: source.into(),
            uses,
        })
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `input` matches: the expression's value is `true`. `Err` when evaluating
    /// failed (a missing field, a type mismatch) or the value is not a boolean: the caller
    /// counts it and treats it as no match.
    pub fn matches(&self, input: &Input<'_>) -> Result<bool, String> {
        self.matches_in(&Scope::new(input, [self]))
    }

    /// As `matches`, in a scope already built for this delivery (shared by a route's filter
    /// and rules, so the body is converted once).
    pub fn matches_in(&self, scope: &Scope<'_>) -> Result<bool, String> {
        match self.program.execute(&scope.ctx) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!("the expression gave {other:?}, not true or false")),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// What a delivery's expressions see: the variables any of them reads, each built once.
pub struct Scope<'a> {
    ctx: cel::Context<'a, 'a>,
}

impl Scope<'_> {
    /// The variables that `filters` read, from `input`.
    pub fn new<'f>(input: &Input<'_>, filters: impl IntoIterator<Item = &'f Filter>) -> Self {
        let mut uses = [false; VARIABLES.len()];
        let mut env = None;
        for f in filters {
            for (u, used) in uses.iter_mut().zip(f.uses) {
                *u |= used;
            }
            // Every filter's environment is the standard library: any one serves them all.
            env.get_or_insert_with(|| f.env.clone());
        }
        let mut ctx = env.map_or_else(cel::Context::default, cel::Context::with_env);
        for (name, used) in VARIABLES.iter().zip(uses) {
            if !used {
                continue;
            }
            let value = match *name {
                "body" => body_value(input.body),
                "headers" => strings(headers(input.headers)),
                "query" => strings(pairs(input.query.unwrap_or(""))),
                "route" => input.route.to_owned().into(),
                _ => input
                    .event_id
                    .map_or(cel::Value::Null, |id| id.to_owned().into()),
            };
            ctx.add_variable_from_value(*name, value);
        }
        Self { ctx }
    }
}

/// The identifiers `expr` reads that nothing inside it binds, in source order, with their
/// node ids. `bound` holds the comprehension variables in scope.
fn free_names<'e>(expr: &'e IdedExpr, bound: &mut Vec<&'e str>, out: &mut Vec<(&'e str, u64)>) {
    match &expr.expr {
        // `@`-names are the parser's own accumulators.
        Expr::Ident(name) if !name.starts_with('@') && !bound.contains(&name.as_str()) => {
            out.push((name, expr.id));
        }
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                free_names(target, bound, out);
            }
            for arg in &call.args {
                free_names(arg, bound, out);
            }
        }
        Expr::Comprehension(c) => {
            free_names(&c.iter_range, bound, out);
            free_names(&c.accu_init, bound, out);
            let scope = bound.len();
            bound.push(&c.iter_var);
            bound.extend(c.iter_var2.as_deref());
            bound.push(&c.accu_var);
            for e in [&c.loop_cond, &c.loop_step, &c.result] {
                free_names(e, bound, out);
            }
            bound.truncate(scope);
        }
        Expr::List(list) => {
            for e in &list.elements {
                free_names(e, bound, out);
            }
        }
        Expr::Map(MapExpr { entries }) | Expr::Struct(StructExpr { entries, .. }) => {
            for entry in entries {
                match &entry.expr {
                    EntryExpr::MapEntry(m) => {
                        free_names(&m.key, bound, out);
                        free_names(&m.value, bound, out);
                    }
                    EntryExpr::StructField(f) => free_names(&f.value, bound, out),
                }
            }
        }
        Expr::Select(select) => free_names(&select.operand, bound, out),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// The 1-based line and column of character `offset` in `source`.
fn line_column(source: &str, offset: u32) -> (usize, usize) {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let (mut line, mut column) = (1, 1);
    for c in source.chars().take(offset) {
        if c == '\n' {
            (line, column) = (line + 1, 1);
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// The JSON body as a CEL value; a form body's fields (first value of each); else null.
fn body_value(body: &[u8]) -> cel::Value {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Ok(v) = cel::to_value(json) {
            return v;
        }
    }
    match std::str::from_utf8(body) {
        Ok(text) if text.contains('=') && !text.trim_start().starts_with(['{', '[']) => {
            strings(pairs(text))
        }
        _ => cel::Value::Null,
    }
}

fn headers(map: &HeaderMap) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in map {
        if let Ok(v) = value.to_str() {
            out.entry(name.as_str().to_owned())
                .or_insert_with(|| v.to_owned());
        }
    }
    out
}

/// `a=1&b=2` decoded, the first value of each name.
fn pairs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(crate::verify::form_decode(k.as_bytes()))
            .or_insert_with(|| crate::verify::form_decode(v.as_bytes()));
    }
    out
}

fn strings(map: BTreeMap<String, String>) -> cel::Value {
    cel::to_value(map).unwrap_or(cel::Value::Null)
}

#[cfg(test)]
mod tests;
