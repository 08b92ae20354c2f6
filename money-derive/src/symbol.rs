//! The keys `#[money(...)]` accepts.

/// Keys on the struct.
pub const TABLE: &str = "table";
pub const UNIQUE: &str = "unique";
pub const SERDE: &str = "serde";
pub const JSON_SCHEMA: &str = "json_schema";
pub const DIALECTS: &str = "dialects";
pub const NO_FROM_ROW: &str = "no_from_row";
pub const FOREIGN_KEY: &str = "foreign_key";
/// On the struct, for `MoneyModel` and `MoneyValue`: the path generated
/// code reaches money-core by.
pub const CRATE: &str = "crate";
/// Keys inside `foreign_key(...)`.
pub const FIELDS: &str = "fields";
/// Keys on a field.
pub const PRECISION: &str = "precision";
pub const SCALE: &str = "scale";
pub const MIN: &str = "min";
pub const MAX: &str = "max";
pub const COLUMN: &str = "column";
pub const ON_EXCESS_SCALE: &str = "on_excess_scale";
pub const SQL_TYPE: &str = "sql_type";
pub const SKIP: &str = "skip";
pub const PRIMARY_KEY: &str = "primary_key";
pub const CURRENCY: &str = "currency";
pub const CURRENCY_FIELD: &str = "currency_field";
pub const REFERENCES: &str = "references";
pub const ON_DELETE: &str = "on_delete";
pub const ON_UPDATE: &str = "on_update";

/// The attribute's own name.
pub const MONEY: &str = "money";

pub const CONTAINER_KEYS: &[&str] = &[
    TABLE,
    UNIQUE,
    SERDE,
    JSON_SCHEMA,
    DIALECTS,
    FOREIGN_KEY,
    NO_FROM_ROW,
    CRATE,
];
pub const FOREIGN_KEY_KEYS: &[&str] = &[FIELDS, REFERENCES, ON_DELETE, ON_UPDATE];
/// The field keys a `MoneyValue` struct takes: its declaration. The others
/// are about a column of a model.
pub const VALUE_KEYS: &[&str] = &[PRECISION, SCALE, MIN, MAX, ON_EXCESS_SCALE];
pub const FIELD_KEYS: &[&str] = &[
    PRECISION,
    SCALE,
    MIN,
    MAX,
    COLUMN,
    ON_EXCESS_SCALE,
    SQL_TYPE,
    SKIP,
    PRIMARY_KEY,
    CURRENCY,
    CURRENCY_FIELD,
    REFERENCES,
    ON_DELETE,
    ON_UPDATE,
];
