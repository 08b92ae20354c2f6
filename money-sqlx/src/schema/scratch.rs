//! Scratch tables: where the declarations' column types and CHECKs are
//! rendered for a server (PostgreSQL, MariaDB/MySQL) to normalize them.

use std::collections::{BTreeMap, HashMap};

use money_core::{Dialect, Table, ddl};

use super::compare::{CatalogColumn, CatalogConstraint, CatalogTable, declared_keys};
use super::{ConstraintKind, Error};

/// One scratch table: the columns and CHECK expressions of the declared
/// tables it stands for.
#[derive(Default)]
struct ScratchTable {
    /// Column name -> declared type, as rendered.
    columns: BTreeMap<String, String>,
    /// CHECK expressions, rendered once each: expression -> position.
    checks: HashMap<String, usize>,
}

/// Where each declaration's column types and CHECKs are rendered for the
/// database to normalize them: a few scratch tables, not one per
/// declaration. Declared tables share a scratch table as long as their
/// columns of the same name have the same declared type (a CHECK names its
/// columns, and prints the same on any table whose columns of those names
/// have those types), and a CHECK expression several tables share is
/// rendered once: 200 tables like `accounts` need one scratch table with
/// three columns. Keys are not rendered: they are compared as data.
pub(crate) struct Scratch {
    dialect: Dialect,
    /// A suffix no live table name has.
    tag: String,
    tables: Vec<ScratchTable>,
    /// Per declared table (in order): its scratch table, and each of its
    /// CHECKs as (declared name, position in that scratch table).
    placements: Vec<(usize, Vec<(String, usize)>)>,
}

impl Scratch {
    /// Places `declarations`, at most `max_columns` columns per scratch
    /// table.
    pub(crate) fn plan(
        declarations: &[&'static Table],
        dialect: Dialect,
        max_columns: usize,
    ) -> Scratch {
        let mut scratch = Scratch {
            dialect,
            tag: format!("{}_{:016x}", std::process::id(), fastrand::u64(..)),
            tables: Vec::new(),
            placements: Vec::new(),
        };
        for table in declarations {
            let columns: Vec<(&str, String)> = table
                .columns()
                .iter()
                .map(|column| (column.name(), ddl::column_type(column, dialect)))
                .collect();
            let fits = |candidate: &ScratchTable| {
                let new = columns
                    .iter()
                    .filter(|(name, _)| !candidate.columns.contains_key(*name))
                    .count();
                candidate.columns.len() + new <= max_columns.max(columns.len())
                    && columns.iter().all(|(name, sql_type)| {
                        candidate
                            .columns
                            .get(*name)
                            .is_none_or(|existing| existing == sql_type)
                    })
            };
            let index = match scratch.tables.iter().position(fits) {
                Some(index) => index,
                None => {
                    scratch.tables.push(ScratchTable::default());
                    scratch.tables.len() - 1
                }
            };
            let target = &mut scratch.tables[index];
            for (name, sql_type) in columns {
                target.columns.entry(name.to_owned()).or_insert(sql_type);
            }
            let mut checks = Vec::new();
            for (name, expression) in ddl::checks(table, dialect) {
                let next = target.checks.len();
                let position = *target.checks.entry(expression).or_insert(next);
                checks.push((name, position));
            }
            scratch.placements.push((index, checks));
        }
        scratch
    }

    /// Per declared table (in the order given to [`Scratch::plan`]): its
    /// scratch table, and each of its CHECKs as (declared name, position in
    /// that scratch table, see [`Scratch::check_name`]).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn placements(&self) -> &[(usize, Vec<(String, usize)>)] {
        &self.placements
    }

    /// How many scratch tables there are.
    pub(crate) fn len(&self) -> usize {
        self.tables.len()
    }

    /// The name of scratch table `index`.
    pub(crate) fn table_name(&self, index: usize) -> String {
        format!("money_verify_{}_{index}", self.tag)
    }

    /// What the name of a CHECK in a scratch table starts with; its
    /// position follows.
    pub(crate) const CHECK_PREFIX: &str = "money_verify_check_";

    /// The name of the CHECK at `position` in its scratch table.
    pub(crate) fn check_name(position: usize) -> String {
        format!("{}{position}", Self::CHECK_PREFIX)
    }

    /// The statements that create the scratch tables, each starting with
    /// `create` (`CREATE TEMP TABLE`, `CREATE TEMPORARY TABLE`). Columns are
    /// nullable: nullability is compared with the declaration itself.
    pub(crate) fn statements(&self, create: &str) -> Vec<String> {
        let quote = |ident: &str| ddl::quote(self.dialect, ident);
        self.tables
            .iter()
            .enumerate()
            .map(|(index, table)| {
                let mut items: Vec<String> = table
                    .columns
                    .iter()
                    .map(|(name, sql_type)| format!("{} {sql_type}", quote(name)))
                    .collect();
                let mut checks: Vec<(&String, &usize)> = table.checks.iter().collect();
                checks.sort_by_key(|(_, position)| **position);
                for (expression, position) in checks {
                    items.push(format!(
                        "CONSTRAINT {} CHECK ({expression})",
                        quote(&Self::check_name(*position))
                    ));
                }
                format!(
                    "{create} {} ({})",
                    quote(&self.table_name(index)),
                    items.join(", ")
                )
            })
            .collect()
    }

    /// The declaration of `tables[position]` (the tables given to
    /// [`Scratch::plan`], in order) as the database normalizes it: column
    /// types and CHECKs read back from its scratch table in `rendered` (by
    /// scratch table name), keys as data.
    pub(crate) fn declared(
        &self,
        table: &Table,
        position: usize,
        rendered: &BTreeMap<String, CatalogTable>,
    ) -> Result<CatalogTable, Error> {
        // The scratch tables were created in this very call: not finding
        // one means the catalog hid it.
        let hidden = |what: String| Error::Unreadable {
            what,
            source: sqlx::Error::RowNotFound,
        };
        let (index, checks) = self.placements.get(position).ok_or_else(|| {
            hidden(format!(
                "find the scratch table of declaration {}",
                table.name()
            ))
        })?;
        let scratch_name = self.table_name(*index);
        let scratch = rendered
            .get(&scratch_name)
            .ok_or_else(|| hidden(format!("read the scratch table {scratch_name} back")))?;
        let mut declared = CatalogTable::default();
        for column in table.columns() {
            let sql_type = scratch
                .columns
                .iter()
                .find(|candidate| candidate.name == column.name())
                .ok_or_else(|| {
                    hidden(format!(
                        "read column {} back from the scratch table {scratch_name}",
                        column.name()
                    ))
                })?
                .sql_type
                .clone();
            declared.columns.push(CatalogColumn {
                name: column.name().to_owned(),
                sql_type,
                not_null: !column.nullable(),
            });
        }
        for (name, position) in checks {
            let check_name = Self::check_name(*position);
            let definition = scratch
                .constraints
                .get(&check_name)
                .ok_or_else(|| {
                    hidden(format!(
                        "read CHECK {name} back from the scratch table {scratch_name}"
                    ))
                })?
                .definition
                .clone();
            declared.constraints.insert(
                name.clone(),
                CatalogConstraint {
                    name: name.clone(),
                    kind: ConstraintKind::Check,
                    validated: true,
                    enforced: true,
                    definition,
                },
            );
        }
        for key in declared_keys(table, self.dialect) {
            declared.constraints.insert(key.name.clone(), key);
        }
        Ok(declared)
    }
}
