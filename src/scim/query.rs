//! A list's filter and page as SQL, so that a page reads its own rows and no others: a
//! provider's full sync pages through thousands of people, and a lookup (`userName eq "…"`)
//! runs for every person of every provisioning cycle.
//!
//! Every attribute a User or a Group is rendered with is translated, with the same meaning as
//! [`filter::matches`] gives it on the rendered resource (a multi-valued attribute matches when
//! one of its values does, `ne` is "no value equals", strings compare in any case except `id`
//! and `externalId`, `gt`/`lt` compare code points); an attribute the resource never has
//! (`name.givenName`, `title`) has no value, as in memory. So nothing is left to filter in
//! memory, and no filter is refused for its attribute. Values are always bound parameters
//! (`$n::text`); only the statement's shape follows the filter, which `filter::parse` bounds
//! ([`filter::MAX_FILTER_BYTES`], [`filter::MAX_FILTER_DEPTH`]).
//!
//! Case: PostgreSQL's `lower` folds as the database's locale does, Rust's `to_lowercase` as
//! Unicode does; the two agree on ASCII, which is what directories' names and addresses are.

use serde_json::Value;
use tokio_postgres::GenericClient;
use tokio_postgres::types::ToSql;

use super::ScimError;
use super::discovery::{GROUP_SCHEMA, TUTORCHAT_USER, USER_SCHEMA};
use super::filter::{self, Filter};
use super::resource::Paging;

/// A bound parameter of a translated filter.
pub type Param = Box<dyn ToSql + Sync + Send>;

/// Which resources a statement lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Users,
    Groups,
}

impl Kind {
    /// The rows a SCIM client sees (`u` or `g`): the people it manages (with a userName), every
    /// group.
    fn table(self) -> &'static str {
        match self {
            Self::Users => "users u WHERE u.user_name IS NOT NULL",
            Self::Groups => "scim_groups g WHERE true",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Self::Users => "u.id",
            Self::Groups => "g.id",
        }
    }
}

/// The text `time`'s RFC 3339 gives a `timestamptz` (`rfc3339` in `resource.rs`): UTC, `Z`,
/// the fraction of a second without trailing zeros.
fn rfc3339(column: &str) -> String {
    format!(
        "(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || coalesce('.' || \
         nullif(rtrim(to_char({column} AT TIME ZONE 'UTC', 'US'), '0'), ''), '') || 'Z')"
    )
}

/// Where the values of an attribute come from.
enum Source {
    /// The resource never has it.
    Absent,
    /// Objects (`meta`, `emails`, `groups`), present when the condition holds; no comparison
    /// with a value matches an object.
    Objects(String),
    /// One text, or none where the expression is NULL.
    Text { expr: String, exact: bool },
    /// One boolean, always present.
    Bool(String),
    /// Fixed texts, each present when its condition holds.
    Fixed(Vec<(&'static str, &'static str)>),
    /// Texts of the rows of a correlated `FROM … WHERE …`.
    Many { from: &'static str, expr: String },
}

/// A statement being written: its text and its parameters, `$1` first.
pub struct Statement {
    pub sql: String,
    pub params: Vec<Param>,
    /// The parameter holding the request's base URL, once a location is compared.
    base: Option<String>,
    base_url: String,
}

impl Statement {
    fn bind(&mut self, param: Param, cast: &str) -> String {
        self.params.push(param);
        format!("${}::{cast}", self.params.len())
    }

    fn base(&mut self) -> String {
        if let Some(base) = &self.base {
            return base.clone();
        }
        let base = self.bind(Box::new(self.base_url.clone()), "text");
        self.base = Some(base.clone());
        base
    }

    /// The parameters as `query` takes them.
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

const WARDS: &str = "EXISTS (SELECT 1 FROM guardian_wards(u.id) l)";
const USER_GROUPS: &str = "scim_group_members m JOIN scim_groups mg ON mg.id = m.group_id WHERE m.user_id = u.id";
const USER_WARDS: &str = "guardian_wards(u.id) l WHERE true";
const GROUP_MEMBERS: &str =
    "scim_group_members m JOIN users mu ON mu.id = m.user_id AND mu.user_name IS NOT NULL WHERE m.group_id = g.id";

fn source(kind: Kind, path: &[String], statement: &mut Statement) -> Source {
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let text = |expr: &str| Source::Text { expr: expr.to_owned(), exact: false };
    let exact = |expr: &str| Source::Text { expr: expr.to_owned(), exact: true };
    let many = |from, expr: String| Source::Many { from, expr };
    match (kind, path.as_slice()) {
        (_, ["meta"]) => Source::Objects("true".into()),
        (Kind::Users, ["id"]) => exact("u.id::text"),
        (Kind::Users, ["username"]) => text("u.user_name"),
        (Kind::Users, ["displayname"]) => text("u.name::text"),
        (Kind::Users, ["emails"]) => Source::Objects("true".into()),
        (Kind::Users, ["emails", "value"]) => text("u.email::text"),
        (Kind::Users, ["active"]) => Source::Bool("(u.deactivated_at IS NULL)".into()),
        (Kind::Users, ["externalid"]) => exact("u.external_id"),
        (Kind::Users, ["meta", "resourcetype"]) => Source::Fixed(vec![("User", "true")]),
        (Kind::Users, ["meta", "created" | "lastmodified"]) => text(&rfc3339("u.created_at")),
        (Kind::Users, ["meta", "location"]) => text(&format!("({} || '/Users/' || u.id)", statement.base())),
        (Kind::Users, ["schemas"]) => Source::Fixed(vec![(USER_SCHEMA, "true"), (TUTORCHAT_USER, WARDS)]),
        (Kind::Users, ["groups"]) => Source::Objects(format!("EXISTS (SELECT 1 FROM {USER_GROUPS})")),
        (Kind::Users, ["groups", "value"]) => many(USER_GROUPS, "mg.id::text".into()),
        (Kind::Users, ["groups", "display"]) => many(USER_GROUPS, "mg.display_name".into()),
        (Kind::Users, ["groups", "$ref"]) => {
            many(USER_GROUPS, format!("({} || '/Groups/' || mg.id)", statement.base()))
        }
        (Kind::Users, ["guardianof"]) => Source::Objects(WARDS.into()),
        (Kind::Users, ["guardianof", "value"]) => many(USER_WARDS, "l.student_id::text".into()),
        (Kind::Users, ["guardianof", "$ref"]) => {
            many(USER_WARDS, format!("({} || '/Users/' || l.student_id)", statement.base()))
        }
        (Kind::Groups, ["id"]) => exact("g.id::text"),
        (Kind::Groups, ["displayname"]) => text("g.display_name"),
        (Kind::Groups, ["externalid"]) => exact("g.external_id"),
        (Kind::Groups, ["meta", "resourcetype"]) => Source::Fixed(vec![("Group", "true")]),
        (Kind::Groups, ["meta", "created"]) => text(&rfc3339("g.created_at")),
        (Kind::Groups, ["meta", "lastmodified"]) => text(&rfc3339("g.updated_at")),
        (Kind::Groups, ["meta", "location"]) => text(&format!("({} || '/Groups/' || g.id)", statement.base())),
        (Kind::Groups, ["schemas"]) => Source::Fixed(vec![(GROUP_SCHEMA, "true")]),
        (Kind::Groups, ["members"]) => Source::Objects(format!("EXISTS (SELECT 1 FROM {GROUP_MEMBERS})")),
        (Kind::Groups, ["members", "value"]) => many(GROUP_MEMBERS, "m.user_id::text".into()),
        (Kind::Groups, ["members", "$ref"]) => {
            many(GROUP_MEMBERS, format!("({} || '/Users/' || m.user_id)", statement.base()))
        }
        _ => Source::Absent,
    }
}

/// `expr op wanted` for one text expression (`op` is never `ne`), NULL where `expr` is.
fn compare(statement: &mut Statement, expr: &str, op: &str, wanted: &str, exact: bool) -> String {
    let w = statement.bind(Box::new(wanted.to_owned()), "text");
    let (a, w) = if exact { (expr.to_owned(), w) } else { (format!("lower({expr})"), format!("lower({w})")) };
    match op {
        "eq" => format!("{a} = {w}"),
        "co" => format!("strpos({a}, {w}) > 0"),
        "sw" => format!("starts_with({a}, {w})"),
        "ew" => format!("right({a}, length({w})) = {w}"),
        "gt" => format!("{a} COLLATE \"C\" > {w}"),
        "ge" => format!("{a} COLLATE \"C\" >= {w}"),
        "lt" => format!("{a} COLLATE \"C\" < {w}"),
        "le" => format!("{a} COLLATE \"C\" <= {w}"),
        _ => "false".into(),
    }
}

/// Whether some value of `path` matches `op value` (`op` is never `ne`), as SQL that is never
/// NULL.
fn any_matches(kind: Kind, statement: &mut Statement, path: &[String], op: &str, value: &Value) -> String {
    match (source(kind, path, statement), value) {
        (Source::Text { expr, exact }, Value::String(w)) => {
            format!("coalesce({}, false)", compare(statement, &expr, op, w, exact))
        }
        (Source::Many { from, expr }, Value::String(w)) => {
            format!("EXISTS (SELECT 1 FROM {from} AND {})", compare(statement, &expr, op, w, false))
        }
        (Source::Bool(expr), Value::Bool(w)) if op == "eq" => {
            let w = statement.bind(Box::new(*w), "boolean");
            format!("{expr} = {w}")
        }
        (Source::Fixed(texts), wanted) => {
            // The in-memory rule itself, on each fixed text.
            let single = Filter::Compare { path: Vec::new(), op: op.to_owned(), value: wanted.clone() };
            let when: Vec<&str> = texts
                .iter()
                .filter(|(text, _)| filter::matches(&single, &Value::String((*text).to_owned())))
                .map(|(_, when)| *when)
                .collect();
            if when.is_empty() { "false".into() } else { format!("({})", when.join(" OR ")) }
        }
        _ => "false".into(),
    }
}

/// `filter` as a condition on `kind`'s rows (`u` or `g`), never NULL.
fn condition(kind: Kind, statement: &mut Statement, filter: &Filter) -> String {
    match filter {
        Filter::And(terms) => {
            let terms: Vec<String> = terms.iter().map(|t| condition(kind, statement, t)).collect();
            format!("({})", terms.join(" AND "))
        }
        Filter::Or(terms) => {
            let terms: Vec<String> = terms.iter().map(|t| condition(kind, statement, t)).collect();
            format!("({})", terms.join(" OR "))
        }
        Filter::Not(inner) => format!("(NOT {})", condition(kind, statement, inner)),
        Filter::Present(path) => match source(kind, path, statement) {
            Source::Absent => "false".into(),
            Source::Objects(when) => when,
            Source::Text { expr, .. } => format!("coalesce({expr} <> '', false)"),
            Source::Bool(_) => "true".into(),
            Source::Fixed(texts) => {
                let when: Vec<&str> = texts.iter().filter(|(t, _)| !t.is_empty()).map(|(_, w)| *w).collect();
                if when.is_empty() { "false".into() } else { format!("({})", when.join(" OR ")) }
            }
            Source::Many { from, expr } => format!("EXISTS (SELECT 1 FROM {from} AND {expr} <> '')"),
        },
        Filter::Compare { path, op, value } if op == "ne" => {
            format!("(NOT {})", any_matches(kind, statement, path, "eq", value))
        }
        Filter::Compare { path, op, value } => any_matches(kind, statement, path, op, value),
    }
}

/// The rows of `kind` matching `filter`, as `FROM … WHERE …` (the parameters in `statement`).
fn matching(kind: Kind, statement: &mut Statement, filter: Option<&Filter>) -> String {
    let condition = filter.map(|f| condition(kind, statement, f)).unwrap_or_else(|| "true".into());
    format!("FROM {} AND {condition}", kind.table())
}

/// `SELECT count(*)` of the rows of `kind` matching `filter`; `base` is the request's
/// [`super::resource::Base`].
pub fn count(kind: Kind, filter: Option<&Filter>, base: &str) -> Statement {
    let mut statement = Statement { sql: String::new(), params: Vec::new(), base: None, base_url: base.to_owned() };
    let from = matching(kind, &mut statement, filter);
    statement.sql = format!("SELECT count(*) {from}");
    statement
}

/// The ids of one page of the rows of `kind` matching `filter`, by id: `offset` rows skipped,
/// at most `limit`.
pub fn page_ids(kind: Kind, filter: Option<&Filter>, base: &str, offset: i64, limit: i64) -> Statement {
    let mut statement = Statement { sql: String::new(), params: Vec::new(), base: None, base_url: base.to_owned() };
    let from = matching(kind, &mut statement, filter);
    let limit = statement.bind(Box::new(limit), "bigint");
    let offset = statement.bind(Box::new(offset), "bigint");
    let id = kind.id();
    statement.sql = format!("SELECT {id} {from} ORDER BY {id} LIMIT {limit} OFFSET {offset}");
    statement
}

/// How many rows of `kind` match `paging`'s filter, and the ids of at most `limit` of them
/// after the first `offset`, by id: a `count(*)` and an index walk of the page, whatever the
/// directory's size.
pub async fn page(
    db: &impl GenericClient,
    kind: Kind,
    paging: &Paging,
    base: &str,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<i64>), ScimError> {
    let counted = count(kind, paging.filter.as_ref(), base);
    let total: i64 = db.query_one(&counted.sql, &counted.params()).await?.try_get(0)?;
    if limit <= 0 || offset >= total {
        return Ok((total, Vec::new()));
    }
    let ids = page_ids(kind, paging.filter.as_ref(), base, offset, limit);
    let rows = db.query(&ids.sql, &ids.params()).await?;
    let ids = rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
    Ok((total, ids))
}
