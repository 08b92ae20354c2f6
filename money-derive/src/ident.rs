//! SQL identifiers and names: what a table or column name may be.

/// PostgreSQL keeps 63 bytes of an identifier.
pub use money_spec_core::MAX_IDENTIFIER_BYTES;

/// Whether `name` is a safe SQL identifier: lowercase ASCII letters, digits
/// and `_`, not starting with a digit, 1 to 63 bytes. Lowercase only, because
/// PostgreSQL folds unquoted names to lowercase: a mixed-case name would have
/// to be quoted in every hand-written query.
pub fn is_valid(name: &str) -> bool {
    let mut bytes = name.bytes();
    let Some(first) = bytes.next() else {
        return false;
    };
    name.len() <= MAX_IDENTIFIER_BYTES
        && (first.is_ascii_lowercase() || first == b'_')
        && bytes.all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
}

/// What a valid identifier looks like, for error messages.
pub const RULE: &str =
    "use lowercase ASCII letters, digits and `_`, starting with a letter or `_`, at most 63 bytes";

/// `AccountEntry` -> `account_entry`, `HTTPLog` -> `http_log`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (index, &ch) in chars.iter().enumerate() {
        if ch.is_uppercase() && index > 0 {
            let previous = chars[index - 1];
            let next_is_lower = chars.get(index + 1).is_some_and(|next| next.is_lowercase());
            if previous.is_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        out.extend(ch.to_lowercase());
    }
    out
}

/// Whether a `sql_type` override is a plain type name: words, digits,
/// spaces, one parenthesised list of numbers and an optional `[]`, such as
/// `uuid`, `timestamp with time zone`, `varchar(64)`, `numeric(10, 2)`. No
/// quotes, semicolons or comments can pass, so no SQL can be smuggled in.
pub fn is_valid_sql_type(sql_type: &str) -> bool {
    let base = sql_type.strip_suffix("[]").unwrap_or(sql_type);
    let (words, arguments) = match base.find('(') {
        Some(open) => base.split_at(open),
        None => (base, ""),
    };
    let words_ok = words.starts_with(|ch: char| ch.is_ascii_alphabetic())
        && words
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b' ');
    let arguments_ok = arguments.is_empty()
        || arguments
            .strip_prefix('(')
            .and_then(|rest| rest.strip_suffix(')'))
            .is_some_and(|list| {
                list.bytes().any(|byte| byte.is_ascii_digit())
                    && list
                        .bytes()
                        .all(|byte| byte.is_ascii_digit() || byte == b',' || byte == b' ')
            });
    words_ok && arguments_ok
}

/// The known key nearest to `unknown`, if it is close enough to be a typo.
pub fn suggest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|candidate| (edit_distance(unknown, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_valid("accounts"));
        assert!(is_valid("_t1"));
        assert!(is_valid(&"a".repeat(63)));
        assert!(!is_valid(&"a".repeat(64)));
        assert!(!is_valid(""));
        assert!(!is_valid("1a"));
        assert!(!is_valid("Accounts"));
        assert!(!is_valid("a; drop table x"));
        assert!(!is_valid("a\"b"));
        assert!(!is_valid("é"));
    }

    #[test]
    fn snake_case_names() {
        assert_eq!(snake_case("Account"), "account");
        assert_eq!(snake_case("AccountEntry"), "account_entry");
        assert_eq!(snake_case("HTTPLog"), "http_log");
        assert_eq!(snake_case("Fx2Rate"), "fx2_rate");
    }

    #[test]
    fn sql_types() {
        for ok in [
            "uuid",
            "timestamp with time zone",
            "varchar(64)",
            "numeric(10, 2)",
            "text[]",
            "bytea",
        ] {
            assert!(is_valid_sql_type(ok), "{ok}");
        }
        for bad in [
            "",
            "text; drop table x",
            "text -- x",
            "varchar('a')",
            "(1)",
            "int)",
            "x(1)(2)",
            "a[]b",
            " text",
        ] {
            assert!(!is_valid_sql_type(bad), "{bad}");
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("precison", &["precision", "scale"]),
            Some("precision")
        );
        assert_eq!(suggest("scael", &["precision", "scale"]), Some("scale"));
        assert_eq!(suggest("colour", &["precision", "scale"]), None);
    }
}
