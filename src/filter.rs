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
        // CEL here is checked dynamically (the crate has no type checker): catch the misspelt
        // name or function at load, not on every delivery. Names a comprehension
        // (`exists(i, ...)`) binds are the expression's own, inside it.
        let mut refs = Refs::default();
        refs.walk(program.expression(), &mut Vec::new());
        let at = |id: u64| {
            program
                .source_info()
                .offset_for(id)
                .map_or((1, 1), |(start, _)| line_column(source, start))
        };
        let unknown_name = refs
            .names
            .iter()
            .find(|(n, _)| !VARIABLES.contains(n) && !declared_constant(&env, n));
        if let Some(&(name, id)) = unknown_name {
            let (line, column) = at(id);
            return Err(CompileError {
                line,
                column,
                message: format!(
                    "unknown name {name:?}; an expression sees {}",
                    VARIABLES.join(", ")
                ),
            });
        }
        if let Some(&(name, id)) = refs.calls.iter().find(|(f, _)| !declared_function(&env, f)) {
            // A call is placed at its `(`: point at the name before it instead.
            let (line, column) = at(id);
            let column = column.saturating_sub(name.chars().count()).max(1);
            return Err(CompileError {
                line,
                column,
                message: format!("unknown function {name:?}"),
            });
        }
        let free = refs.names;
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

/// What an expression refers to, in source order, with node ids (for positions).
#[derive(Default)]
struct Refs<'e> {
    /// Identifiers that nothing inside the expression binds.
    names: Vec<(&'e str, u64)>,
    /// Functions called by name (operators, which have no name one can write, aside).
    calls: Vec<(&'e str, u64)>,
}

impl<'e> Refs<'e> {
    /// `bound` holds the comprehension variables in scope.
    fn walk(&mut self, expr: &'e IdedExpr, bound: &mut Vec<&'e str>) {
        match &expr.expr {
            // `@`-names are the parser's own accumulators.
            Expr::Ident(name) if !name.starts_with('@') && !bound.contains(&name.as_str()) => {
                self.names.push((name, expr.id));
            }
            Expr::Call(call) => {
                if call
                    .func_name
                    .starts_with(|c: char| c.is_ascii_alphabetic())
                {
                    self.calls.push((&call.func_name, expr.id));
                }
                if let Some(target) = &call.target {
                    self.walk(target, bound);
                }
                for arg in &call.args {
                    self.walk(arg, bound);
                }
            }
            Expr::Comprehension(c) => {
                self.walk(&c.iter_range, bound);
                self.walk(&c.accu_init, bound);
                let scope = bound.len();
                bound.push(&c.iter_var);
                bound.extend(c.iter_var2.as_deref());
                bound.push(&c.accu_var);
                for e in [&c.loop_cond, &c.loop_step, &c.result] {
                    self.walk(e, bound);
                }
                bound.truncate(scope);
            }
            Expr::List(list) => {
                for e in &list.elements {
                    self.walk(e, bound);
                }
            }
            Expr::Map(MapExpr { entries }) | Expr::Struct(StructExpr { entries, .. }) => {
                for entry in entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(m) => {
                            self.walk(&m.key, bound);
                            self.walk(&m.value, bound);
                        }
                        EntryExpr::StructField(f) => self.walk(&f.value, bound),
                    }
                }
            }
            Expr::Select(select) => self.walk(&select.operand, bound),
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
}

/// Whether `name` means something on its own in `env` (a type: `string`, `int`,
/// `null_type`...). The crate offers no lookup, so ask it: evaluated alone, an unknown name
/// is an undeclared reference.
fn declared_constant(env: &Arc<cel::Env>, name: &str) -> bool {
    let ctx = cel::Context::with_env(env.clone());
    env.compile(name).is_ok_and(|p| {
        !matches!(
            p.execute(&ctx),
            Err(cel::ExecutionError::UndeclaredReference(_))
        )
    })
}

/// Whether `env` declares a function `name`, global (`size(x)`) or member (`x.size()`):
/// called with no fitting arguments, a declared one answers "no such overload".
fn declared_function(env: &Arc<cel::Env>, name: &str) -> bool {
    let ctx = cel::Context::with_env(env.clone());
    [format!("{name}()"), format!("null.{name}()")]
        .iter()
        .any(|probe| {
            env.compile(probe).is_ok_and(|p| {
                !matches!(
                    p.execute(&ctx),
                    Err(cel::ExecutionError::UndeclaredReference(_))
                )
            })
        })
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
        return json_value(json);
    }
    match std::str::from_utf8(body) {
        Ok(text) if text.contains('=') && !text.trim_start().starts_with(['{', '[']) => {
            strings(pairs(text))
        }
        _ => cel::Value::Null,
    }
}

/// JSON as CEL sees it: an integer is an `int` (a `uint` only past int's range), as in
/// Kubernetes, so `body.count + 1` and `body.amount * 100` work. The crate's own conversion
/// makes every non-negative integer a `uint`, and `uint + int` is an error, which would count
/// as no match and drop the event. A number with a fraction or an exponent is a `double`.
/// Depth is bounded by serde_json's recursion limit.
fn json_value(json: serde_json::Value) -> cel::Value {
    use serde_json::Value as J;
    match json {
        J::Null => cel::Value::Null,
        J::Bool(b) => cel::Value::Bool(b),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => cel::Value::Int(i),
            (None, Some(u)) => cel::Value::UInt(u),
            (None, None) => n.as_f64().map_or(cel::Value::Null, cel::Value::Float),
        },
        J::String(s) => cel::Value::String(Arc::new(s)),
        J::Array(items) => cel::Value::List(Arc::new(items.into_iter().map(json_value).collect())),
        J::Object(fields) => cel::Value::Map(cel::objects::Map {
            map: Arc::new(
                fields
                    .into_iter()
                    .map(|(k, v)| (cel::objects::Key::String(Arc::new(k)), json_value(v)))
                    .collect(),
            ),
        }),
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
