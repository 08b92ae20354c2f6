//! The one place that names database constraints.
//!
//! # Scheme
//! A CHECK constraint is named `{table}_{column}_{rule}`, where `rule` is
//! [`RuleKind::suffix`](crate::RuleKind::suffix) (`digits`, `scale`,
//! `minor_units`, `min`, `max`, `currency`); the primary key is `{table}_pkey`, as PostgreSQL names it;
//! a unique key `{table}_{columns}_key` and a foreign key
//! `{table}_{columns}_fkey`, as PostgreSQL names them when declared inline.
//!
//! PostgreSQL truncates identifiers at 63 bytes (MySQL at 64), so two long
//! names could silently become one. A name longer than 63 bytes keeps the
//! suffix and replaces the tail of `{table}_{column}` with 8 hex digits of
//! the FNV-1a hash of the whole `{table}_{column}`:
//! `{prefix}_{hash}_{rule}`, exactly 63 bytes. The hash is part of the
//! naming contract and never changes, so names are stable across builds and
//! versions. Table and column names are ASCII identifiers (the derive checks
//! them); a non-ASCII name given to these functions directly is cut at the
//! last character boundary that fits, so the name may be shorter than 63
//! bytes but is never split inside a character.
//!
//! ```
//! use money_spec_core::naming::constraint_name;
//! assert_eq!(constraint_name("accounts", "balance", "scale"), "accounts_balance_scale");
//! let long = constraint_name(&"t".repeat(40), &"c".repeat(40), "digits");
//! assert_eq!(long.len(), 63);
//! assert!(long.ends_with("_digits"));
//! ```

use crate::MAX_IDENTIFIER_BYTES;

const HASH_HEX_DIGITS: usize = 8;

/// The name of the constraint that enforces `suffix` on `column` of `table`.
pub fn constraint_name(table: &str, column: &str, suffix: &str) -> String {
    fitted(&[table, column], suffix)
}

/// The name of a table's primary key constraint: `{table}_pkey`.
pub fn primary_key_name(table: &str) -> String {
    fitted(&[table], "pkey")
}

/// The name of a unique key: `{table}_{column}_..._key`, as PostgreSQL
/// names one declared inline.
pub fn unique_key_name(table: &str, columns: &[&str]) -> String {
    let mut parts = Vec::with_capacity(columns.len() + 1);
    parts.push(table);
    parts.extend_from_slice(columns);
    fitted(&parts, "key")
}

/// The name of a foreign key: `{table}_{column}_..._fkey`, as PostgreSQL
/// names one declared inline.
///
/// ```
/// use money_spec_core::naming::foreign_key_name;
/// assert_eq!(foreign_key_name("journal_entries", &["account_id", "currency"]), "journal_entries_account_id_currency_fkey");
/// ```
pub fn foreign_key_name(table: &str, columns: &[&str]) -> String {
    let mut parts = Vec::with_capacity(columns.len() + 1);
    parts.push(table);
    parts.extend_from_slice(columns);
    fitted(&parts, "fkey")
}

/// `{part}_{part}_..._{suffix}` if it fits in 63 bytes, else the joined
/// parts cut short, 8 hex digits of their FNV-1a hash, and the suffix.
fn fitted(parts: &[&str], suffix: &str) -> String {
    let base = parts.join("_");
    if base.len() + 1 + suffix.len() <= MAX_IDENTIFIER_BYTES {
        return format!("{base}_{suffix}");
    }
    let hash = fnv1a_32(base.as_bytes());
    // The derive only makes ASCII names, but these functions are public:
    // never cut a character in two (a shorter name is still distinct).
    let mut keep = MAX_IDENTIFIER_BYTES
        .saturating_sub(suffix.len() + HASH_HEX_DIGITS + 2)
        .min(base.len());
    while !base.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}_{hash:08x}_{suffix}", &base[..keep])
}

const FNV_OFFSET_BASIS: u32 = 0x811c_9dc5;

/// FNV-1a, 32 bits: tiny, stable and good enough to keep distinct names
/// distinct; not used for anything adversarial.
fn fnv1a_32(bytes: &[u8]) -> u32 {
    let mut hash = FNV_OFFSET_BASIS;
    for byte in bytes {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_spelled_out() {
        assert_eq!(
            constraint_name("accounts", "balance", "digits"),
            "accounts_balance_digits"
        );
        assert_eq!(primary_key_name("accounts"), "accounts_pkey");
    }

    #[test]
    fn a_name_of_exactly_63_bytes_is_kept() {
        let table = "t".repeat(63 - 1 - "c".len() - 1 - "scale".len());
        let name = constraint_name(&table, "c", "scale");
        assert_eq!(name.len(), 63);
        assert_eq!(name, format!("{table}_c_scale"));
    }

    #[test]
    fn long_names_are_hashed_deterministically() {
        let table = "settlement_instructions_pending_review";
        let column = "counterparty_reserved_amount_in_minor_units";
        let name = constraint_name(table, column, "digits");
        assert_eq!(name.len(), MAX_IDENTIFIER_BYTES);
        assert_eq!(name, constraint_name(table, column, "digits"));
        // A pinned value: changing the scheme renames every constraint of
        // every user's schema, so it must show up as a failing test.
        assert_eq!(
            name,
            "settlement_instructions_pending_review_counterp_af55998e_digits"
        );
    }

    #[test]
    fn non_ascii_names_are_never_cut_inside_a_character() {
        for prefix_len in 0..8 {
            let table = format!("{}{}", "t".repeat(prefix_len), "é€😀".repeat(20));
            for suffix in ["digits", "scale", "minor_units"] {
                let name = constraint_name(&table, "betrag_ü", suffix);
                assert!(name.len() <= MAX_IDENTIFIER_BYTES, "{name}");
                assert!(name.ends_with(suffix), "{name}");
            }
            assert!(primary_key_name(&table).len() <= MAX_IDENTIFIER_BYTES);
            assert!(unique_key_name(&table, &["ä", "ö"]).len() <= MAX_IDENTIFIER_BYTES);
        }
    }

    #[test]
    fn long_names_that_share_a_prefix_stay_distinct() {
        let table = "a".repeat(50);
        let one = constraint_name(&table, "amount_one", "max");
        let two = constraint_name(&table, "amount_two", "max");
        assert_ne!(one, two);
        assert!(one.len() <= MAX_IDENTIFIER_BYTES && two.len() <= MAX_IDENTIFIER_BYTES);
    }

    #[test]
    fn unique_keys() {
        assert_eq!(
            unique_key_name("settlements", &["settlement_id", "account_id"]),
            "settlements_settlement_id_account_id_key"
        );
        let long = unique_key_name(
            "settlements",
            &["a".repeat(30).as_str(), "b".repeat(30).as_str()],
        );
        assert_eq!(long.len(), MAX_IDENTIFIER_BYTES);
        assert!(long.ends_with("_key"));
    }

    #[test]
    fn foreign_keys() {
        assert_eq!(
            foreign_key_name("transfers", &["debit_account_id"]),
            "transfers_debit_account_id_fkey"
        );
        let long = foreign_key_name(
            "settlement_instructions",
            &["a".repeat(25).as_str(), "b".repeat(25).as_str()],
        );
        assert_eq!(long.len(), MAX_IDENTIFIER_BYTES);
        assert!(long.ends_with("_fkey"));
        assert_ne!(
            long,
            unique_key_name(
                "settlement_instructions",
                &["a".repeat(25).as_str(), "b".repeat(25).as_str()]
            )
        );
    }

    #[test]
    fn long_table_primary_key() {
        let table = "x".repeat(63);
        let name = primary_key_name(&table);
        assert_eq!(name.len(), MAX_IDENTIFIER_BYTES);
        assert!(name.ends_with("_pkey"));
    }
}
