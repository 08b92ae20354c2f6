//! [`verify`](super::verify) on PostgreSQL: the declarations' column types
//! and CHECKs rendered into a few scratch `TEMP` tables inside a
//! rolled-back transaction, in one message; the live schema and the scratch
//! tables read by the same two catalog queries.
//!
//! Only types and CHECK expressions need the server's normalization
//! (`format_type`, `pg_get_constraintdef`); keys are compared as data
//! (columns, referenced table and columns, actions), so the scratch tables
//! have no index (see `scratch::Scratch`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use money_core::{Dialect, Table, ddl};
use sqlx::{AssertSqlSafe, PgPool, Row};

use super::compare::{
    CatalogColumn, CatalogConstraint, CatalogTable, FixSql, compare_table, declared_clause,
    foreign_key_definition, key_definition, missing_table, violations_query,
};
use super::scratch::Scratch;
use super::{ConstraintKind, Error, Fix, SchemaReport, ordered};

/// Every column of the named tables, in the live schema, the scratch
/// (temporary) one and any other but other sessions' temporary schemas (to
/// tell "in another schema" from "missing").
const COLUMNS: &str = "
SELECT n.nspname::text, n.oid = pg_my_temp_schema(), c.relname::text, a.attname::text,
       format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attnum, quote_ident(a.attname)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
WHERE c.relname = ANY($1) AND c.relkind IN ('r', 'p')
  AND (n.oid = pg_my_temp_schema() OR NOT pg_is_other_temp_schema(n.oid))
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum";

/// The CHECK, primary key, unique and foreign key constraints of the named
/// tables in the live schema and the scratch one, as data, each column
/// NULL where its kind has nothing to say. A CHECK comes as its stored
/// expression tree (`conbin`), which [`check_fingerprint`] makes comparable
/// without printing it: printing costs 20-30 µs a CHECK, so it runs only for
/// the CHECKs that differ ([`PRINT`]). A key comes printed (cheap), and is
/// plain when it is nothing but its kind and columns (no `INCLUDE`,
/// `DEFERRABLE`, `NULLS NOT DISTINCT`, storage option...), which the client
/// tells from the columns' quoted names ([`COLUMNS`]). A key's columns come
/// as their numbers (`conkey`), named from [`COLUMNS`] too: a subquery per
/// constraint that named them took 30 µs each, 6 ms of the 200-table
/// benchmark's 13 (BENCHMARKS.md, section 9). Only a foreign key's
/// referenced columns are named here: the referenced table need not be
/// among those read.
const CONSTRAINTS: &str = "
SELECT n.oid = pg_my_temp_schema(), c.relname::text, k.conname::text, k.contype::text,
       k.convalidated, k.oid::int8, k.connoinherit,
       CASE WHEN k.contype = 'c' THEN k.conbin::text END,
       CASE WHEN k.contype IN ('p', 'u') THEN pg_get_constraintdef(k.oid) END,
       CASE WHEN k.contype <> 'c' THEN k.conkey END,
       CASE WHEN k.contype = 'f' THEN f.relname::text END,
       CASE WHEN k.contype = 'f' THEN
       ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, position)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum
             ORDER BY u.position) END,
       CASE WHEN k.contype = 'f' THEN
            k.confdeltype::text || k.confupdtype::text || k.confmatchtype::text
            || CASE WHEN k.condeferrable THEN 'D' ELSE '-' END
            || CASE WHEN k.condeferred THEN 'I' ELSE '-' END END
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class f ON f.oid = k.confrelid
WHERE (n.nspname = $2 OR n.oid = pg_my_temp_schema()) AND c.relname = ANY($1)
  AND k.contype IN ('c', 'p', 'u', 'f')";

/// The live unique indexes of the named tables that no constraint owns
/// (`CREATE UNIQUE INDEX`), with whether each is plain: a B-tree on nothing
/// but its columns (no expression, `WHERE`, collation, operator class,
/// order, `INCLUDE` or `NULLS NOT DISTINCT`, which all show in its printed
/// form). Such an index refuses exactly the rows a `UNIQUE` constraint on
/// those columns refuses. Read only for the tables that lack a declared
/// `UNIQUE`, where an index can stand for it.
const UNIQUE_INDEXES: &str = "
SELECT c.relname::text, x.relname::text, i.indisvalid,
       string_to_array(i.indkey::text, ' ')::int2[],
       printed.text = 'CREATE UNIQUE INDEX ' || quote_ident(x.relname) || ' ON '
                      || quote_ident(n.nspname) || '.' || quote_ident(c.relname) || ' USING btree ('
                      || array_to_string(ARRAY(SELECT quote_ident(name) FROM unnest(keys.columns) AS name), ', ')
                      || ')'
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (SELECT
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS u(attnum, position)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.attnum
             ORDER BY u.position) AS columns) AS keys
CROSS JOIN LATERAL (SELECT pg_get_indexdef(i.indexrelid) AS text OFFSET 0) AS printed
WHERE n.nspname = $2 AND c.relname = ANY($1) AND i.indisunique AND NOT i.indisprimary
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint k
                  WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid
                    AND k.contype IN ('p', 'u', 'x'))";

/// The printed form of the CHECKs that differ, live and declared.
const PRINT: &str = "
SELECT k.oid::int8, pg_get_constraintdef(k.oid)
FROM pg_catalog.pg_constraint k WHERE k.oid = ANY($1::int8[]::oid[])";

/// The most columns one scratch table gets (PostgreSQL allows 1600).
const SCRATCH_COLUMNS: usize = 1000;

/// A CHECK's expression tree (`conbin` as text) made comparable across
/// tables: without the positions in the statement that created it
/// (`:location`), with column numbers replaced by names (`:varattno`,
/// `:varattnosyn`), and `NO INHERIT` noted. Equal fingerprints are equal
/// expressions; unequal ones are printed and compared as text, so a
/// fingerprint can only save work, never decide a difference.
fn check_fingerprint(
    tree: &str,
    columns: &BTreeMap<i16, (&str, &str)>,
    no_inherit: bool,
) -> String {
    let mut fingerprint = String::with_capacity(tree.len() + 16);
    fingerprint_pieces(tree, columns, no_inherit, &mut |piece| {
        fingerprint.push_str(piece);
        true
    });
    fingerprint
}

/// Whether `tree`'s fingerprint is `fingerprint`, found without building
/// it: the pieces are compared as they come, and the first that differs
/// ends the scan. A live table's CHECK is compared this way with its
/// declared one, so the trees of 200 tables (a few KB each for a currency
/// CHECK) are read once and neither copied nor hashed.
fn same_fingerprint(
    tree: &str,
    columns: &BTreeMap<i16, (&str, &str)>,
    no_inherit: bool,
    fingerprint: &str,
) -> bool {
    let mut rest = fingerprint;
    fingerprint_pieces(
        tree,
        columns,
        no_inherit,
        &mut |piece| match rest.strip_prefix(piece) {
            Some(after) => {
                rest = after;
                true
            }
            None => false,
        },
    ) && rest.is_empty()
}

/// [`check_fingerprint`]'s pieces, in order, to `sink`; false as soon as
/// `sink` refuses one. A column name is written quoted, with `"` and `\`
/// escaped, so no name can pass for other text.
fn fingerprint_pieces(
    tree: &str,
    columns: &BTreeMap<i16, (&str, &str)>,
    no_inherit: bool,
    sink: &mut dyn FnMut(&str) -> bool,
) -> bool {
    // `tree[..copied]` is in the fingerprint or dropped; fields start at
    // " :", found by their colon (a byte search, not a substring search).
    let mut copied = 0;
    let mut search = 0;
    while let Some(offset) = memchr::memchr(b':', &tree.as_bytes()[search..]) {
        let colon = search + offset;
        search = colon + 1;
        if colon == 0 || tree.as_bytes()[colon - 1] != b' ' {
            continue;
        }
        let after = &tree[colon + 1..];
        let field = &after[..after.find(' ').unwrap_or(after.len())];
        let is_location = field == "location";
        if !is_location && field != "varattno" && field != "varattnosyn" {
            continue;
        }
        let field_end = colon + 1 + field.len();
        let value_start = tree.len() - tree[field_end..].trim_start().len();
        let value_end = tree[value_start..]
            .find([' ', '}', ')'])
            .map_or(tree.len(), |offset| value_start + offset);
        let kept = if is_location {
            sink(&tree[copied..colon - 1])
        } else {
            let value = &tree[value_start..value_end];
            sink(&tree[copied..value_start])
                && match value
                    .parse::<i16>()
                    .ok()
                    .and_then(|attnum| columns.get(&attnum))
                {
                    Some((name, _)) => quoted_name(name, sink),
                    None => sink(value),
                }
        };
        if !kept {
            return false;
        }
        copied = value_end;
        search = value_end;
    }
    sink(&tree[copied..]) && (!no_inherit || sink(" NO INHERIT"))
}

/// `name` between `"`, each `"` and `\` in it escaped, to `sink`.
fn quoted_name(name: &str, sink: &mut dyn FnMut(&str) -> bool) -> bool {
    if !sink("\"") {
        return false;
    }
    let mut rest = name;
    while let Some(at) = rest.find(['"', '\\']) {
        let escape = if rest.as_bytes()[at] == b'"' {
            "\\\""
        } else {
            "\\\\"
        };
        if !sink(&rest[..at]) || !sink(escape) {
            return false;
        }
        rest = &rest[at + 1..];
    }
    sink(rest) && sink("\"")
}

/// Checks the connection's current schema against `tables`: see the
/// [module documentation](super).
pub(crate) async fn verify(
    pool: &PgPool,
    tables: &[&'static Table],
) -> Result<SchemaReport, Error> {
    let ordered = ordered(tables)?;
    let unreadable = |what: &str| {
        let what = what.to_owned();
        move |source| Error::Unreadable {
            what: what.clone(),
            source,
        }
    };
    let scratch = Scratch::plan(&ordered, Dialect::Postgres, SCRATCH_COLUMNS);
    let mut names: Vec<String> = ordered
        .iter()
        .map(|table| table.name().to_owned())
        .collect();
    names.extend((0..scratch.len()).map(|index| scratch.table_name(index)));

    let mut transaction = pool
        .begin()
        .await
        .map_err(unreadable("open a transaction"))?;
    let live: Option<String> = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(&mut *transaction)
        .await
        .map_err(unreadable("read the connection's current schema"))?;
    let live = live.ok_or(Error::NoCurrentSchema)?;
    // One message, one round trip.
    let script = scratch.statements("CREATE TEMP TABLE").join(";\n");
    sqlx::raw_sql(AssertSqlSafe(script))
        .execute(&mut *transaction)
        .await
        .map_err(unreadable(
            "render the declarations into scratch temporary tables (needs TEMPORARY on the database)",
        ))?;
    let column_rows = sqlx::query(COLUMNS)
        .bind(&names)
        .fetch_all(&mut *transaction)
        .await
        .map_err(unreadable("read the columns from pg_catalog"))?;
    let constraint_rows = sqlx::query(CONSTRAINTS)
        .bind(&names)
        .bind(&live)
        .fetch_all(&mut *transaction)
        .await
        .map_err(unreadable("read the constraints from pg_catalog"))?;

    // The live tables, the scratch tables, and where else a declared name
    // exists.
    let mut live_tables: BTreeMap<String, CatalogTable> = BTreeMap::new();
    let mut scratch_tables: BTreeMap<String, CatalogTable> = BTreeMap::new();
    let mut elsewhere: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Per (scratch?, table): column number -> name, and the name as
    // `quote_ident` prints it in keys. Borrowed from the rows.
    let mut numbered: ColumnNames<'_> = HashMap::new();
    for row in &column_rows {
        let decode = unreadable("decode a column row");
        let schema: &str = row.try_get(0).map_err(&decode)?;
        let is_scratch: bool = row.try_get(1).map_err(&decode)?;
        let table: &str = row.try_get(2).map_err(&decode)?;
        let name: &str = row.try_get(3).map_err(&decode)?;
        let column = CatalogColumn {
            name: name.to_owned(),
            sql_type: row.try_get(4).map_err(&decode)?,
            not_null: row.try_get(5).map_err(&decode)?,
        };
        let attnum: i16 = row.try_get(6).map_err(&decode)?;
        let quoted_name: &str = row.try_get(7).map_err(&decode)?;
        let target = if is_scratch {
            &mut scratch_tables
        } else if schema == live {
            &mut live_tables
        } else {
            let schemas = elsewhere.entry(table.to_owned()).or_default();
            if !schemas.iter().any(|known| known == schema) {
                schemas.push(schema.to_owned());
            }
            continue;
        };
        numbered
            .entry((is_scratch, table))
            .or_default()
            .insert(attnum, (name, quoted_name));
        target
            .entry(table.to_owned())
            .or_default()
            .columns
            .push(column);
    }
    let no_columns = BTreeMap::new();

    // The declared CHECKs as the server normalized them, by (scratch table,
    // position in it): the scratch rows first, few however many tables
    // share them.
    let scratch_index: HashMap<String, usize> = (0..scratch.len())
        .map(|index| (scratch.table_name(index), index))
        .collect();
    let mut declared_checks: HashMap<(usize, usize), DeclaredCheck> = HashMap::new();
    // Where each declared CHECK was rendered: (table, CHECK) -> (scratch
    // table, position).
    let mut placed_at: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    for ((index, placed), table) in scratch.placements().iter().zip(&ordered) {
        for (name, position) in placed {
            placed_at.insert((table.name(), name.as_str()), (*index, *position));
        }
    }
    // The live CHECKs that are not the same as declared, to print:
    // (table, name, oid).
    let mut differing: Vec<(&str, &str, i64)> = Vec::new();
    // The live CHECKs that are the same as declared (and validated).
    let mut same: HashSet<(&str, &str)> = HashSet::new();
    for scratch_rows in [true, false] {
        for row in &constraint_rows {
            let decode = unreadable("decode a constraint row");
            let is_scratch: bool = row.try_get(0).map_err(&decode)?;
            if is_scratch != scratch_rows {
                continue;
            }
            let table: &str = row.try_get(1).map_err(&decode)?;
            let name: &str = row.try_get(2).map_err(&decode)?;
            let contype: &str = row.try_get(3).map_err(&decode)?;
            let validated: bool = row.try_get(4).map_err(&decode)?;
            let oid: i64 = row.try_get(5).map_err(&decode)?;
            let no_inherit: bool = row.try_get(6).map_err(&decode)?;
            let columns = numbered.get(&(is_scratch, table)).unwrap_or(&no_columns);
            let (kind, definition) = match contype {
                "c" => {
                    let tree: Option<&str> = row.try_get(7).map_err(&decode)?;
                    let tree = tree.unwrap_or_default();
                    if is_scratch {
                        let at = scratch_index.get(table).zip(
                            name.strip_prefix(Scratch::CHECK_PREFIX)
                                .and_then(|position| position.parse::<usize>().ok()),
                        );
                        let Some((index, position)) = at else {
                            // Not one of ours: a scratch table has only
                            // the CHECKs it was given.
                            continue;
                        };
                        declared_checks.insert(
                            (*index, position),
                            DeclaredCheck {
                                oid,
                                fingerprint: check_fingerprint(tree, columns, no_inherit),
                            },
                        );
                        (ConstraintKind::Check, placeholder(*index, position))
                    } else {
                        let at = placed_at.get(&(table, name)).copied();
                        let declared = at.and_then(|at| declared_checks.get(&at));
                        match (at, declared) {
                            (Some((index, position)), Some(declared))
                                if validated
                                    && same_fingerprint(
                                        tree,
                                        columns,
                                        no_inherit,
                                        &declared.fingerprint,
                                    ) =>
                            {
                                same.insert((table, name));
                                (ConstraintKind::Check, placeholder(index, position))
                            }
                            _ => {
                                differing.push((table, name, oid));
                                // Replaced by the printed CHECK below.
                                (ConstraintKind::Check, String::new())
                            }
                        }
                    }
                }
                "p" | "u" => {
                    let kind = if contype == "p" {
                        ConstraintKind::PrimaryKey
                    } else {
                        ConstraintKind::Unique
                    };
                    let numbers: Vec<i16> = row.try_get(9).map_err(&decode)?;
                    let (columns, quoted) = key_columns(columns, table, name, &numbers)?;
                    let printed: &str = row.try_get(8).map_err(&decode)?;
                    let plain = printed
                        .strip_prefix(if contype == "p" {
                            "PRIMARY KEY ("
                        } else {
                            "UNIQUE ("
                        })
                        .and_then(|rest| rest.strip_suffix(')'))
                        == Some(quoted.join(", ").as_str());
                    let definition = if plain {
                        key_definition(Dialect::Postgres, kind, &columns)
                    } else {
                        printed.to_owned()
                    };
                    (kind, definition)
                }
                _ => {
                    let numbers: Vec<i16> = row.try_get(9).map_err(&decode)?;
                    let (columns, _) = key_columns(columns, table, name, &numbers)?;
                    let referenced: Option<&str> = row.try_get(10).map_err(&decode)?;
                    let referenced_columns: Option<Vec<String>> =
                        row.try_get(11).map_err(&decode)?;
                    // Five flags: ON DELETE, ON UPDATE and MATCH as
                    // pg_constraint codes, then `D` if DEFERRABLE and `I` if
                    // INITIALLY DEFERRED, else `-` (see CONSTRAINTS).
                    let foreign: Option<&str> = row.try_get(12).map_err(&decode)?;
                    let foreign = foreign.unwrap_or_default();
                    let flag = |at: usize| foreign.get(at..at + 1).unwrap_or_default();
                    let mut definition = foreign_key_definition(
                        Dialect::Postgres,
                        &columns,
                        referenced.unwrap_or_default(),
                        &referenced_columns.unwrap_or_default(),
                        action(flag(0)),
                        action(flag(1)),
                    );
                    if flag(2) == "f" {
                        definition.push_str(" MATCH FULL");
                    }
                    if flag(3) == "D" {
                        definition.push_str(" DEFERRABLE");
                    }
                    if flag(4) == "I" {
                        definition.push_str(" INITIALLY DEFERRED");
                    }
                    (ConstraintKind::ForeignKey, definition)
                }
            };
            let target = if is_scratch {
                &mut scratch_tables
            } else {
                &mut live_tables
            };
            target
                .entry(table.to_owned())
                .or_default()
                .constraints
                .insert(
                    name.to_owned(),
                    CatalogConstraint {
                        name: name.to_owned(),
                        kind,
                        validated,
                        enforced: true,
                        definition,
                    },
                );
        }
    }

    // The declarations as the database normalized them, CHECKs still as
    // placeholders.
    let mut declarations = Vec::with_capacity(ordered.len());
    for (position, table) in ordered.iter().enumerate() {
        declarations.push(scratch.declared(table, position, &scratch_tables)?);
    }
    // A unique index can stand for a declared UNIQUE the live table lacks:
    // read those tables' unique indexes (none when nothing is missing).
    let lacking: Vec<String> = ordered
        .iter()
        .zip(&declarations)
        .filter(|(table, declared)| {
            live_tables.get(table.name()).is_some_and(|found| {
                declared.constraints.values().any(|constraint| {
                    constraint.kind == ConstraintKind::Unique
                        && !found.constraints.contains_key(&constraint.name)
                })
            })
        })
        .map(|(table, _)| table.name().to_owned())
        .collect();
    if !lacking.is_empty() {
        let rows = sqlx::query(UNIQUE_INDEXES)
            .bind(&lacking)
            .bind(&live)
            .fetch_all(&mut *transaction)
            .await
            .map_err(unreadable("read the unique indexes from pg_catalog"))?;
        for row in &rows {
            let decode = unreadable("decode a unique index row");
            let table: String = row.try_get(0).map_err(&decode)?;
            let name: String = row.try_get(1).map_err(&decode)?;
            let valid: bool = row.try_get(2).map_err(&decode)?;
            let numbers: Vec<i16> = row.try_get(3).map_err(&decode)?;
            let plain: Option<bool> = row.try_get(4).map_err(&decode)?;
            if plain != Some(true) || !valid {
                continue;
            }
            let columns = numbered
                .get(&(false, table.as_str()))
                .unwrap_or(&no_columns);
            let (names, _) = key_columns(columns, &table, &name, &numbers)?;
            live_tables.entry(table).or_default().unique_indexes.insert(
                name,
                key_definition(Dialect::Postgres, ConstraintKind::Unique, &names),
            );
        }
    }
    // Print every CHECK that is not the same, validated, on both sides: the
    // live one, and in each table where it differs or is missing, the
    // declared one. Where they are the same, both keep one placeholder.
    let mut declared_to_print: Vec<(usize, &str, i64)> = Vec::new();
    for (position, ((_, placed), table)) in scratch.placements().iter().zip(&ordered).enumerate() {
        if !live_tables.contains_key(table.name()) {
            continue;
        }
        for (name, _) in placed {
            if same.contains(&(table.name(), name.as_str())) {
                continue;
            }
            if let Some(declared) = placed_at
                .get(&(table.name(), name.as_str()))
                .and_then(|at| declared_checks.get(at))
            {
                declared_to_print.push((position, name, declared.oid));
            }
        }
    }
    let to_print: BTreeSet<i64> = differing
        .iter()
        .map(|(_, _, oid)| *oid)
        .chain(declared_to_print.iter().map(|(_, _, oid)| *oid))
        .collect();
    let to_print: Vec<i64> = to_print.into_iter().collect();
    let mut printed: HashMap<i64, String> = HashMap::new();
    if !to_print.is_empty() {
        let rows = sqlx::query(PRINT)
            .bind(&to_print)
            .fetch_all(&mut *transaction)
            .await
            .map_err(unreadable(
                "print the CHECKs that differ (pg_get_constraintdef)",
            ))?;
        for row in &rows {
            let decode = unreadable("decode a printed CHECK");
            let oid: i64 = row.try_get(0).map_err(&decode)?;
            let text: &str = row.try_get(1).map_err(&decode)?;
            let text = text.strip_suffix(" NOT VALID").unwrap_or(text).to_owned();
            printed.insert(oid, text);
        }
    }
    // Nothing of the scratch tables may remain.
    transaction
        .rollback()
        .await
        .map_err(unreadable("roll back the scratch tables"))?;
    // A live CHECK dropped between the two reads has no printed form.
    let text_of = |oid: i64| {
        printed.get(&oid).cloned().ok_or_else(|| Error::Unreadable {
            what: format!("print the CHECK whose oid is {oid}"),
            source: sqlx::Error::Protocol(
                "the constraint was dropped while it was read; verify again".to_owned(),
            ),
        })
    };
    for (table, name, oid) in differing {
        if let Some(constraint) = live_tables
            .get_mut(table)
            .and_then(|found| found.constraints.get_mut(name))
        {
            constraint.definition = text_of(oid)?;
        }
    }
    for (position, name, oid) in declared_to_print {
        if let Some(constraint) = declarations
            .get_mut(position)
            .and_then(|declared| declared.constraints.get_mut(name))
        {
            constraint.definition = text_of(oid)?;
        }
    }

    let mut entries = Vec::new();
    for (table, declared) in ordered.iter().zip(declarations) {
        let name = table.name();
        let Some(found) = live_tables.get(name) else {
            if let Some(mut found_in) = elsewhere.remove(name) {
                found_in.sort();
                return Err(Error::TableInOtherSchema {
                    table: name.to_owned(),
                    schema: live,
                    found_in,
                });
            }
            entries.push(missing_table(table, &Postgres));
            continue;
        };
        compare_table(table, &declared, found, &Postgres, &mut entries);
    }
    Ok(SchemaReport { entries })
}

/// A declared CHECK as its scratch table holds it.
struct DeclaredCheck {
    oid: i64,
    /// See [`check_fingerprint`].
    fingerprint: String,
}

/// The definition a CHECK has until it is known whether it must be printed:
/// the declared one and a live one found the same share it, so they compare
/// equal; it is never shown (anything shown is printed).
fn placeholder(index: usize, position: usize) -> String {
    format!("CHECK #{index}.{position}")
}

/// Per (scratch?, table): column number -> (name, name as `quote_ident`
/// prints it).
type ColumnNames<'a> = HashMap<(bool, &'a str), BTreeMap<i16, (&'a str, &'a str)>>;

/// The columns `numbers` of a key of `table` by name, and as `quote_ident`
/// prints them. A number [`COLUMNS`] did not return means the table
/// changed between the two reads.
fn key_columns(
    columns: &BTreeMap<i16, (&str, &str)>,
    table: &str,
    key: &str,
    numbers: &[i16],
) -> Result<(Vec<String>, Vec<String>), Error> {
    let mut names = Vec::with_capacity(numbers.len());
    let mut quoted = Vec::with_capacity(numbers.len());
    for number in numbers {
        let Some((name, quoted_name)) = columns.get(number) else {
            return Err(Error::Unreadable {
                what: format!("name the columns {numbers:?} of key {key} of table {table}"),
                source: sqlx::Error::Protocol(
                    "the table changed while it was read; verify again".to_owned(),
                ),
            });
        };
        names.push((*name).to_owned());
        quoted.push((*quoted_name).to_owned());
    }
    Ok((names, quoted))
}

/// A printed CHECK with its sets of currency codes in one spelling:
/// PostgreSQL prints an `IN` list of codes (how money-core rendered code
/// sets before) as `ARRAY['AED'::text, ...]`, and a one-code `IN`/`NOT IN`
/// as `= 'BHD'::text`/`<> 'BHD'::text`; the array constant money-core
/// renders now prints as `'{AED,...}'::text[]`. Both rewrites keep the
/// rule exactly (`x = 'A'` holds where `x = ANY ('{A}')` does, NULL
/// included), so equal results are the same rule.
fn code_sets_as_arrays(printed: &str) -> String {
    let is_code = |code: &str| code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase());
    let mut out = String::with_capacity(printed.len());
    let mut rest = printed;
    loop {
        let array = rest.find("ARRAY['");
        let single = [" = '", " <> '"]
            .iter()
            .filter_map(|operator| rest.find(operator).map(|at| (at, *operator)))
            .min();
        match (array, single) {
            (Some(at), single) if single.is_none_or(|(other, _)| at < other) => {
                let body_start = at + "ARRAY[".len();
                let Some(end) = rest[body_start..].find(']') else {
                    break;
                };
                let codes: Option<Vec<&str>> = rest[body_start..body_start + end]
                    .split(", ")
                    .map(|item| {
                        item.strip_prefix('\'')
                            .and_then(|item| item.strip_suffix("'::text"))
                            .filter(|code| is_code(code))
                    })
                    .collect();
                out.push_str(&rest[..at]);
                match codes {
                    Some(codes) => out.push_str(&format!("'{{{}}}'::text[]", codes.join(","))),
                    None => out.push_str(&rest[at..body_start + end + 1]),
                }
                rest = &rest[body_start + end + 1..];
            }
            (_, Some((at, operator))) => {
                let code_start = at + operator.len();
                let code = rest.get(code_start..code_start + 3).unwrap_or_default();
                let after = rest.get(code_start + 3..).unwrap_or_default();
                out.push_str(&rest[..at]);
                if is_code(code) && after.starts_with("'::text") {
                    let quantifier = if operator == " = '" {
                        " = ANY"
                    } else {
                        " <> ALL"
                    };
                    out.push_str(&format!("{quantifier} ('{{{code}}}'::text[])"));
                    rest = &after["'::text".len()..];
                } else {
                    out.push_str(operator);
                    rest = &rest[code_start..];
                }
            }
            _ => break,
        }
    }
    out.push_str(rest);
    out
}

/// `pg_constraint.confdeltype`/`confupdtype` spelled as SQL.
fn action(code: &str) -> &'static str {
    match code {
        "a" => "NO ACTION",
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "UNKNOWN",
    }
}

fn quote(ident: &str) -> String {
    ddl::quote(Dialect::Postgres, ident)
}

/// PostgreSQL's fixes: a CHECK or foreign key added `NOT VALID` then
/// validated (the scan takes no lock that blocks writes), a type change
/// that says it rewrites the table.
struct Postgres;

impl FixSql for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn same_rule_respelled(&self, declared: &str, found: &str) -> bool {
        code_sets_as_arrays(declared) == code_sets_as_arrays(found)
    }

    fn add_column(&self, table: &Table, column: &CatalogColumn) -> Vec<Fix> {
        let not_null = if column.not_null { " NOT NULL" } else { "" };
        vec![Fix {
            sql: format!(
                "ALTER TABLE {} ADD COLUMN {} {}{not_null}",
                quote(table.name()),
                quote(&column.name),
                column.sql_type
            ),
            rewrites_table: false,
            // A NOT NULL column without a default cannot be added to a
            // table that has rows.
            violations_query: column.not_null.then(|| self.rows_query(table)),
        }]
    }

    fn change_type(&self, table: &Table, declared: &CatalogColumn) -> Vec<Fix> {
        let column = quote(&declared.name);
        vec![Fix {
            sql: format!(
                "ALTER TABLE {} ALTER COLUMN {column} TYPE {} USING {column}::{}",
                quote(table.name()),
                declared.sql_type,
                declared.sql_type
            ),
            rewrites_table: true,
            violations_query: None,
        }]
    }

    fn set_nullability(&self, table: &Table, declared: &CatalogColumn) -> Vec<Fix> {
        let quoted = quote(table.name());
        let column = quote(&declared.name);
        vec![if declared.not_null {
            Fix {
                sql: format!("ALTER TABLE {quoted} ALTER COLUMN {column} SET NOT NULL"),
                rewrites_table: false,
                violations_query: Some(format!(
                    "SELECT count(*) OVER () AS violations, t.* FROM {quoted} AS t WHERE {column} IS NULL LIMIT 10"
                )),
            }
        } else {
            Fix {
                sql: format!("ALTER TABLE {quoted} ALTER COLUMN {column} DROP NOT NULL"),
                rewrites_table: false,
                violations_query: None,
            }
        }]
    }

    fn unique_using_index(&self, table: &Table, declared: &CatalogConstraint) -> Vec<Fix> {
        let name = quote(&declared.name);
        vec![Fix {
            sql: format!(
                "ALTER TABLE {} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}",
                quote(table.name())
            ),
            rewrites_table: false,
            violations_query: None,
        }]
    }

    fn drop_constraint(&self, table: &Table, found: &CatalogConstraint) -> Vec<Fix> {
        vec![Fix {
            sql: format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                quote(table.name()),
                quote(&found.name)
            ),
            rewrites_table: false,
            violations_query: None,
        }]
    }

    fn add_constraint(&self, table: &Table, declared: &CatalogConstraint) -> Vec<Fix> {
        let quoted = quote(table.name());
        let Some(clause) = declared_clause(table, Dialect::Postgres, &declared.name, declared.kind)
        else {
            return Vec::new();
        };
        let violations = violations_query(table, Dialect::Postgres, &declared.name, declared.kind);
        match declared.kind {
            ConstraintKind::Check | ConstraintKind::ForeignKey => vec![
                Fix {
                    sql: format!("ALTER TABLE {quoted} ADD {clause} NOT VALID"),
                    rewrites_table: false,
                    violations_query: None,
                },
                Fix {
                    sql: format!(
                        "ALTER TABLE {quoted} VALIDATE CONSTRAINT {}",
                        quote(&declared.name)
                    ),
                    rewrites_table: false,
                    violations_query: violations,
                },
            ],
            // A key builds its index.
            ConstraintKind::PrimaryKey | ConstraintKind::Unique => vec![Fix {
                sql: format!("ALTER TABLE {quoted} ADD {clause}"),
                rewrites_table: false,
                violations_query: violations,
            }],
        }
    }

    fn validate(&self, table: &Table, declared: &CatalogConstraint) -> Vec<Fix> {
        vec![Fix {
            sql: format!(
                "ALTER TABLE {} VALIDATE CONSTRAINT {}",
                quote(table.name()),
                quote(&declared.name)
            ),
            rewrites_table: false,
            violations_query: violations_query(
                table,
                Dialect::Postgres,
                &declared.name,
                declared.kind,
            ),
        }]
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{check_fingerprint, same_fingerprint};

    #[test]
    fn code_sets_in_either_spelling_are_one() {
        use super::code_sets_as_arrays;
        let new = "CHECK ((((currency <> ALL ('{BIF,CLP}'::text[])) OR (b = round(b, 0))) AND ((currency <> ALL ('{BHD}'::text[])) OR (b = round(b, 3)))))";
        let old = "CHECK ((((currency <> ALL (ARRAY['BIF'::text, 'CLP'::text])) OR (b = round(b, 0))) AND ((currency <> 'BHD'::text) OR (b = round(b, 3)))))";
        assert_eq!(code_sets_as_arrays(old), new);
        assert_eq!(code_sets_as_arrays(new), new);
        assert_eq!(
            code_sets_as_arrays("CHECK ((currency = ANY (ARRAY['AED'::text, 'AFN'::text])))"),
            "CHECK ((currency = ANY ('{AED,AFN}'::text[])))"
        );
        assert_eq!(
            code_sets_as_arrays("CHECK ((currency = 'USD'::text))"),
            "CHECK ((currency = ANY ('{USD}'::text[])))"
        );
        // Anything else is left as it is: another set stays another set.
        for other in [
            "CHECK ((currency = ANY (ARRAY['AED'::text, 'usd'::text])))",
            "CHECK ((name = 'abc'::text))",
            "CHECK ((x <> 'ABCD'::text))",
            "CHECK ((x = 'ABC'::character varying))",
            "ARRAY['",
            " = '",
            " <> 'AB",
            " = 'éé'::text",
            " <> 'Aé'",
            "ARRAY['é'::text]",
        ] {
            assert_eq!(code_sets_as_arrays(other), other);
        }
        assert_ne!(
            code_sets_as_arrays("CHECK ((currency = ANY (ARRAY['AED'::text, 'AFN'::text])))"),
            code_sets_as_arrays("CHECK ((currency = ANY ('{AED}'::text[])))")
        );
    }

    #[test]
    fn fingerprints_ignore_positions_and_column_numbers() {
        let live = "{OPEXPR :opno 1757 :args ({VAR :varno 1 :varattno 3 :vartype 1700 :varnosyn 1 :varattnosyn 3 :location 1368} {CONST :consttype 23 :location 1379 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location 1376}";
        let scratch = "{OPEXPR :opno 1757 :args ({VAR :varno 1 :varattno 1 :vartype 1700 :varnosyn 1 :varattnosyn 1 :location 57} {CONST :consttype 23 :location 68 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location 65}";
        let live_columns = BTreeMap::from([(3, ("balance", "balance")), (1, ("id", "id"))]);
        let scratch_columns = BTreeMap::from([(1, ("balance", "balance")), (3, ("id", "id"))]);
        let live_tree = live;
        let live = check_fingerprint(live, &live_columns, false);
        assert_eq!(live, check_fingerprint(scratch, &scratch_columns, false));
        assert!(!live.contains(":location"), "{live}");
        assert!(live.contains(r#":varattno "balance""#), "{live}");
        // Another column, another constant, NO INHERIT: not the same.
        assert_ne!(live, check_fingerprint(scratch, &live_columns, false));
        let other = scratch.replace("[ 0 0 0 0", "[ 5 0 0 0");
        assert_ne!(live, check_fingerprint(&other, &scratch_columns, false));
        assert_ne!(live, check_fingerprint(scratch, &scratch_columns, true));
        // Compared piece by piece, the answer is the built fingerprints'.
        let quoted = BTreeMap::from([(3, (r#"bal"ance"#, "")), (1, (r"i\d", ""))]);
        let trees = [
            live_tree,
            scratch,
            &other,
            "",
            " :varattno 3",
            " :varattno 1}",
        ];
        for tree in trees {
            for against in trees {
                for (columns, other_columns) in [
                    (&live_columns, &scratch_columns),
                    (&quoted, &live_columns),
                    (&quoted, &quoted),
                ] {
                    for no_inherit in [false, true] {
                        let built = check_fingerprint(against, other_columns, false);
                        assert_eq!(
                            same_fingerprint(tree, columns, no_inherit, &built),
                            check_fingerprint(tree, columns, no_inherit) == built,
                            "{tree} against {against}"
                        );
                    }
                }
            }
        }
        // A quote in a name is escaped: it cannot pass for the tree's text.
        assert!(check_fingerprint(" :varattno 3}", &quoted, false).contains(r#""bal\"ance""#));
        // Whatever the text, no panic.
        for text in [
            "",
            " :",
            " :location",
            " :varattno x}",
            "{A :b",
            ":location 1 :",
        ] {
            check_fingerprint(text, &live_columns, false);
        }
    }
}
