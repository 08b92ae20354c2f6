//! SQLite's stored `CREATE TABLE` text, read: tokens, the CHECKs and
//! named keys in it. SQLite keeps the text as it was sent, so a CHECK is
//! compared token by token (whitespace, comments, identifier quoting and
//! letter case do not count; literals do).

use super::ConstraintKind;

/// One token of SQL text: a literal kept as written, an identifier or
/// keyword in lower case without its quotes, an operator.
pub(crate) fn tokens(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c.is_whitespace() {
            at += 1;
        } else if c == '-' && chars.get(at + 1) == Some(&'-') {
            while at < chars.len() && chars[at] != '\n' {
                at += 1;
            }
        } else if c == '/' && chars.get(at + 1) == Some(&'*') {
            at += 2;
            while at < chars.len() && !(chars[at] == '*' && chars.get(at + 1) == Some(&'/')) {
                at += 1;
            }
            at += 2;
        } else if c == '\'' {
            // A string literal, '' escaping a quote: kept as written.
            let start = at;
            at += 1;
            while at < chars.len() {
                if chars[at] == '\'' {
                    if chars.get(at + 1) == Some(&'\'') {
                        at += 2;
                        continue;
                    }
                    break;
                }
                at += 1;
            }
            at = (at + 1).min(chars.len());
            tokens.push(chars[start..at].iter().collect());
        } else if c == '"' || c == '`' || c == '[' {
            let close = if c == '[' { ']' } else { c };
            let mut ident = String::new();
            at += 1;
            while at < chars.len() {
                if chars[at] == close {
                    if close != ']' && chars.get(at + 1) == Some(&close) {
                        ident.push(close);
                        at += 2;
                        continue;
                    }
                    break;
                }
                ident.push(chars[at]);
                at += 1;
            }
            at = (at + 1).min(chars.len());
            tokens.push(ident.to_ascii_lowercase());
        } else if c.is_alphanumeric()
            || c == '_'
            || c == '.' && chars.get(at + 1).is_some_and(char::is_ascii_digit)
        {
            let start = at;
            while at < chars.len()
                && (chars[at].is_alphanumeric()
                    || chars[at] == '_'
                    || chars[at] == '.'
                    || chars[at] == '$')
            {
                at += 1;
            }
            tokens.push(
                chars[start..at]
                    .iter()
                    .collect::<String>()
                    .to_ascii_lowercase(),
            );
        } else {
            let pair: String = chars[at..(at + 2).min(chars.len())].iter().collect();
            if ["<=", ">=", "<>", "!=", "==", "||", "<<", ">>"].contains(&pair.as_str()) {
                tokens.push(pair);
                at += 2;
            } else {
                tokens.push(c.to_string());
                at += 1;
            }
        }
    }
    tokens
}

/// `CHECK (...)` from the tokens of its expression, spaced one way.
pub(crate) fn check_definition(tokens: &[String]) -> String {
    let mut text = String::new();
    let mut previous: Option<&str> = None;
    for token in tokens {
        let glue = matches!(previous, None | Some("(")) || matches!(token.as_str(), ")" | ",");
        if !glue {
            text.push(' ');
        }
        text.push_str(token);
        previous = Some(token);
    }
    format!("CHECK ({text})")
}

/// A table constraint of a stored `CREATE TABLE` text, or a column's CHECK.
pub(crate) struct Clause {
    pub(crate) name: Option<String>,
    pub(crate) kind: ConstraintKind,
    /// A key's columns.
    pub(crate) columns: Vec<String>,
    /// A CHECK's comparable definition.
    pub(crate) definition: String,
}

/// The constraints of a `CREATE TABLE` text: named or not, table or column
/// level.
pub(crate) fn table_constraints(sql: &str) -> Vec<Clause> {
    let tokens = tokens(sql);
    // The body: from the first "(" to its matching ")".
    let Some(open) = tokens.iter().position(|token| token == "(") else {
        return Vec::new();
    };
    let mut items: Vec<&[String]> = Vec::new();
    let mut depth = 0;
    let mut start = open + 1;
    for (at, token) in tokens.iter().enumerate().skip(open) {
        match token.as_str() {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    items.push(&tokens[start..at]);
                    break;
                }
            }
            "," if depth == 1 => {
                items.push(&tokens[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    let mut clauses = Vec::new();
    for item in items {
        let mut at = 0;
        while at < item.len() {
            let name = (item[at] == "constraint")
                .then(|| item.get(at + 1).cloned())
                .flatten();
            let kind_at = if name.is_some() { at + 2 } else { at };
            let kind = item.get(kind_at).map(String::as_str);
            let parenthesized = |from: usize| -> Option<(usize, &[String])> {
                if item.get(from).map(String::as_str) != Some("(") {
                    return None;
                }
                let mut depth = 0;
                for (offset, token) in item[from..].iter().enumerate() {
                    match token.as_str() {
                        "(" => depth += 1,
                        ")" => {
                            depth -= 1;
                            if depth == 0 {
                                return Some((from + offset + 1, &item[from + 1..from + offset]));
                            }
                        }
                        _ => {}
                    }
                }
                None
            };
            let columns_of = |inner: &[String]| -> Vec<String> {
                inner
                    .split(|token| token == ",")
                    .filter_map(|column| column.first().cloned())
                    .collect()
            };
            match kind {
                Some("check") => {
                    if let Some((end, inner)) = parenthesized(kind_at + 1) {
                        clauses.push(Clause {
                            name,
                            kind: ConstraintKind::Check,
                            columns: Vec::new(),
                            definition: check_definition(inner),
                        });
                        at = end;
                        continue;
                    }
                }
                Some("unique") => {
                    if let Some((end, inner)) = parenthesized(kind_at + 1) {
                        clauses.push(Clause {
                            name,
                            kind: ConstraintKind::Unique,
                            columns: columns_of(inner),
                            definition: String::new(),
                        });
                        at = end;
                        continue;
                    }
                }
                Some("foreign") => {
                    if let Some((end, inner)) = parenthesized(kind_at + 2) {
                        clauses.push(Clause {
                            name,
                            kind: ConstraintKind::ForeignKey,
                            columns: columns_of(inner),
                            definition: String::new(),
                        });
                        at = end;
                        continue;
                    }
                }
                _ => {}
            }
            at += 1;
        }
    }
    clauses
}

#[cfg(test)]
mod tests {
    use super::{ConstraintKind, check_definition, table_constraints, tokens};

    #[test]
    fn checks_compare_by_tokens() {
        let declared = check_definition(&tokens(r#""balance" >= 0"#));
        assert_eq!(declared, "CHECK (balance >= 0)");
        assert_eq!(declared, check_definition(&tokens("BALANCE>=0 -- why\n")));
        assert_eq!(
            declared,
            check_definition(&tokens("[balance] /* c */ >= 0"))
        );
        assert_ne!(declared, check_definition(&tokens("balance >= '0'")));
        assert_ne!(declared, check_definition(&tokens("balance > 0")));
        // Literals keep their case and quotes.
        assert_eq!(
            tokens("x IN ('usd', 'USD')"),
            ["x", "in", "(", "'usd'", ",", "'USD'", ")"]
        );
    }

    #[test]
    fn constraints_of_a_stored_create_table() {
        let sql = r#"CREATE TABLE "t" (
            "a" integer NOT NULL CHECK (a > 0),
            "b" text CONSTRAINT b_code CHECK (b IN ('X', 'Y')),
            CONSTRAINT "t_pkey" PRIMARY KEY ("a"),
            CONSTRAINT "t_a_b_key" UNIQUE ("a", "b"),
            CONSTRAINT "t_b_fkey" FOREIGN KEY ("b") REFERENCES "u" ("code"),
            CHECK (a < 10)
        )"#;
        let clauses = table_constraints(sql);
        let summary: Vec<(Option<&str>, ConstraintKind, String)> = clauses
            .iter()
            .map(|clause| {
                let detail = if clause.kind == ConstraintKind::Check {
                    clause.definition.clone()
                } else {
                    clause.columns.join(",")
                };
                (clause.name.as_deref(), clause.kind, detail)
            })
            .collect();
        assert_eq!(
            summary,
            [
                (None, ConstraintKind::Check, "CHECK (a > 0)".to_owned()),
                (
                    Some("b_code"),
                    ConstraintKind::Check,
                    "CHECK (b in ('X', 'Y'))".to_owned()
                ),
                (Some("t_a_b_key"), ConstraintKind::Unique, "a,b".to_owned()),
                (Some("t_b_fkey"), ConstraintKind::ForeignKey, "b".to_owned()),
                (None, ConstraintKind::Check, "CHECK (a < 10)".to_owned()),
            ]
        );
        // Whatever the text, no panic.
        for text in [
            "",
            "(",
            "CREATE TABLE t (",
            "CREATE TABLE t (a CHECK (",
            "'",
            "\"",
            "/*",
        ] {
            table_constraints(text);
        }
    }
}
