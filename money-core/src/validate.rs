//! Validation errors, and the check that generated `validate()` calls.

use std::borrow::Cow;
use std::fmt;

use rust_decimal::Decimal;

use crate::rules::{Broken, Rule, RuleKind};
use crate::table::{Column, Table};

/// One broken rule of one field.
///
/// Its [`constraint`](Self::constraint) is the name of the database
/// constraint that enforces the same rule, so an error from the database and
/// an error from [`validate`](crate::MoneyModel::validate) can be compared and
/// mapped to each other.
// Kept small: the name as the derive wrote it into the table, the rule as
// its kind (the column's spec has the rule itself); only a minor-units error
// allocates, for its currency.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidationError {
    table: &'static str,
    column: &'static Column,
    /// Borrowed from the column's names, so that recording an error copies
    /// nothing for its name; owned only for a column the derive did not
    /// name.
    constraint: Cow<'static, str>,
    /// Which of the column's rules: [`MoneySpec::rule`] of its spec, or
    /// [`Rule::Currency`] for a currency column.
    ///
    /// [`MoneySpec::rule`]: crate::MoneySpec::rule
    kind: RuleKind,
    /// The amount as given and as stored; `None` for a currency code.
    amount: Option<(Decimal, Decimal)>,
    /// The code of a currency column, or the currency of the amount's row.
    code: Option<Box<str>>,
}

impl ValidationError {
    /// The Rust field's name.
    pub fn field(&self) -> &str {
        self.column.field()
    }

    /// The column's name in the database.
    pub fn column(&self) -> &str {
        self.column.name()
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        self.table
    }

    /// The name of the database constraint that enforces this rule.
    pub fn constraint(&self) -> &str {
        &self.constraint
    }

    /// The broken rule, with its limit.
    pub fn rule(&self) -> Rule {
        // A money column's spec has a rule of every kind recorded for it; a
        // currency column's only rule is `Currency`.
        self.column
            .money_spec()
            .and_then(|spec| spec.rule(self.kind))
            .unwrap_or(Rule::Currency)
    }

    /// Which rule was broken.
    pub fn rule_kind(&self) -> RuleKind {
        self.kind
    }

    /// The amount as given; `None` for a currency column's error.
    pub fn value(&self) -> Option<Decimal> {
        self.amount.map(|(value, _)| value)
    }

    /// The amount as the database would store it: rounded in
    /// [`ExcessScale::Round`](crate::ExcessScale::Round) mode, else the value
    /// itself. The rule was checked on this value. `None` for a currency
    /// column's error.
    pub fn stored_value(&self) -> Option<Decimal> {
        self.amount.map(|(_, stored)| stored)
    }

    /// The code a currency column's error is about, or, for a
    /// [`Rule::MinorUnits`] error, the currency of the amount's row.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// What is wrong, without the field and the constraint:
    /// `1.23456 has 5 digits after the point, at most 4 allowed`.
    pub fn message(&self) -> String {
        Broken {
            rule: self.rule(),
            amount: self.amount,
            code: self.code.as_deref(),
        }
        .to_string()
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let broken = Broken {
            rule: self.rule(),
            amount: self.amount,
            code: self.code.as_deref(),
        };
        write!(
            f,
            "{}: {broken} [constraint {}]",
            self.field(),
            self.constraint
        )
    }
}

// By hand, to show the rule itself, as before the kind replaced it.
impl fmt::Debug for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidationError")
            .field("table", &self.table)
            .field("column", &self.column)
            .field("constraint", &self.constraint)
            .field("rule", &self.rule())
            .field("amount", &self.amount)
            .field("code", &self.code)
            .finish()
    }
}

impl std::error::Error for ValidationError {}

/// Every broken rule of a value, in field order: validation never stops at
/// the first.
///
/// ```
/// use money_core::{MoneyModel, Decimal};
///
/// #[derive(MoneyModel)]
/// #[money(table = "accounts")]
/// struct Account {
///     #[money(precision = 19, scale = 4, min = "0")]
///     balance: Decimal,
///     #[money(precision = 19, scale = 4)]
///     overdraft_limit: Option<Decimal>,
/// }
///
/// let account = Account {
///     balance: "-123.45678".parse().unwrap(),
///     overdraft_limit: Some("1e15".parse().unwrap()),
/// };
/// let errors = account.validate().unwrap_err();
/// let found: Vec<_> = errors.iter().map(|e| (e.field(), e.constraint())).collect();
/// assert_eq!(found, [
///     ("balance", "accounts_balance_scale"),
///     ("balance", "accounts_balance_min"),
///     ("overdraft_limit", "accounts_overdraft_limit_digits"),
/// ]);
/// assert_eq!(
///     errors.iter().next().unwrap().to_string(),
///     "balance: -123.45678 has 5 digits after the point, at most 4 allowed [constraint accounts_balance_scale]",
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationErrors {
    errors: Vec<ValidationError>,
}

impl ValidationErrors {
    /// The errors, in field order and, within a field, in rule order.
    pub fn iter(&self) -> std::slice::Iter<'_, ValidationError> {
        self.errors.iter()
    }

    /// How many rules were broken.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether no rule was broken.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Every rule that `amount` breaks as the value of the money field
    /// `field` of `table`, in a row whose currency column holds `currency`:
    /// what `validate()` reports for that field, without a whole value of
    /// the model (a web service checking a request field by field, for
    /// instance). Empty when the value is valid, or when `field` is not a
    /// money field of the table.
    ///
    /// ```
    /// use money_core::{Decimal, MoneyModel, ValidationErrors};
    ///
    /// #[derive(MoneyModel)]
    /// #[money(table = "transfers")]
    /// struct Transfer {
    ///     #[money(precision = 19, scale = 4, min = "0.0001")]
    ///     amount: Decimal,
    /// }
    ///
    /// let errors = ValidationErrors::of_amount(Transfer::DEFINITION, "amount", "-1.23456".parse().unwrap(), None);
    /// let rules: Vec<_> = errors.iter().map(|error| error.rule_kind().suffix()).collect();
    /// assert_eq!(rules, ["scale", "min"]);
    /// ```
    pub fn of_amount(
        table: &'static Table,
        field: &str,
        amount: Decimal,
        currency: Option<&str>,
    ) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        if let Some(index) = table
            .columns()
            .iter()
            .position(|column| column.field() == field)
        {
            check_money_in(&mut errors, table, index, Some(amount), currency);
        }
        errors
    }

    /// The [`Rule::Currency`] error of `code` as the value of the currency
    /// field `field` of `table`, if it breaks it: see
    /// [`of_amount`](Self::of_amount).
    pub fn of_code(table: &'static Table, field: &str, code: &str) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        let currency_column = table.columns().iter().position(|column| {
            column.field() == field && column.column_type() == crate::ColumnType::Currency
        });
        if let Some(index) = currency_column {
            check_currency(&mut errors, table, index, Some(code));
        }
        errors
    }

    /// An empty list, for generated code to fill.
    pub(crate) const fn new() -> Self {
        ValidationErrors { errors: Vec::new() }
    }

    /// `Ok(())` when empty, else `Err(self)`.
    #[inline]
    pub(crate) fn into_result(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [] => f.write_str("no validation errors"),
            [only] => only.fmt(f),
            errors => {
                write!(f, "{} rules broken:", errors.len())?;
                for error in errors {
                    write!(f, "\n  {error}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ValidationErrors {}

impl<'a> IntoIterator for &'a ValidationErrors {
    type Item = &'a ValidationError;
    type IntoIter = std::slice::Iter<'a, ValidationError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl IntoIterator for ValidationErrors {
    type Item = ValidationError;
    type IntoIter = std::vec::IntoIter<ValidationError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

/// Checks the money column `index` of `table` against `amount` (`None` for
/// NULL, always valid in a nullable column) and records every broken rule.
///
/// The common case, a valid value, is [`MoneySpec::accepts`] inlined into
/// the generated `validate()`, where the table is a constant and the test
/// folds to a few integer comparisons; only a value it refuses goes through
/// the rules one by one, out of line, to record each broken one.
///
/// [`MoneySpec::accepts`]: crate::MoneySpec::accepts
#[doc(hidden)]
#[inline(always)]
pub fn check_money(
    errors: &mut ValidationErrors,
    table: &'static Table,
    index: usize,
    amount: Option<Decimal>,
) {
    check_money_in(errors, table, index, amount, None);
}

/// [`check_money`] for an amount declared with `currency_field`, in a row
/// whose currency column holds `currency`.
#[doc(hidden)]
#[inline]
pub fn check_money_in(
    errors: &mut ValidationErrors,
    table: &'static Table,
    index: usize,
    amount: Option<Decimal>,
    currency: Option<&str>,
) {
    let Some(value) = amount else { return };
    let Some(spec) = table.columns().get(index).and_then(Column::money_spec) else {
        return;
    };
    if !spec.accepts(value) || !fits_currency(spec, value, currency) {
        record_broken_rules(errors, table, index, value, currency);
    }
}

/// Whether `value` obeys [`Rule::MinorUnits`] in a row of `currency`;
/// true for a spec without `currency_field`.
#[inline]
fn fits_currency(spec: &crate::MoneySpec, value: Decimal, currency: Option<&str>) -> bool {
    spec.minor_units_rule()
        .is_none_or(|rule| rule.holds_for(spec.stored_value(value), currency))
}

/// Records every rule of the money column `index` of `table` that `value`
/// breaks, in a row whose currency is `currency`: the error path of
/// [`check_money_in`], kept out of line.
#[cold]
#[inline(never)]
fn record_broken_rules(
    errors: &mut ValidationErrors,
    table: &'static Table,
    index: usize,
    value: Decimal,
    currency: Option<&str>,
) {
    let Some(column) = table.columns().get(index) else {
        return;
    };
    let Some(spec) = column.money_spec() else {
        return;
    };
    let stored = spec.stored_value(value);
    // Kind by kind, in the order of `rules()`, by the integer tests
    // `accepts` made. Only the spec's own rules are recorded, so that
    // `ValidationError::rule` finds every recorded kind in the spec.
    for kind in RuleKind::ALL {
        let holds = match kind {
            RuleKind::Digits | RuleKind::Scale | RuleKind::Min | RuleKind::Max => {
                spec.holds(kind, stored)
            }
            RuleKind::MinorUnits => fits_currency(spec, value, currency),
            // Not a rule of amounts.
            RuleKind::Currency => true,
        };
        if holds || spec.rule(kind).is_none() {
            continue;
        }
        // The currency a rule was judged against, for its message.
        let code = match kind {
            RuleKind::MinorUnits => currency.map(Box::from),
            RuleKind::Digits
            | RuleKind::Scale
            | RuleKind::Min
            | RuleKind::Max
            | RuleKind::Currency => None,
        };
        errors.errors.push(ValidationError {
            table: table.name(),
            column,
            constraint: table.constraint_name_of(column, kind),
            kind,
            amount: Some((value, stored)),
            code,
        });
    }
}

/// Checks the currency column `index` of `table` against `code` (`None`
/// for NULL, valid in a nullable column) and records a broken
/// [`Rule::Currency`].
#[doc(hidden)]
#[inline]
pub fn check_currency(
    errors: &mut ValidationErrors,
    table: &'static Table,
    index: usize,
    code: Option<&str>,
) {
    let Some(code) = code else { return };
    if Rule::Currency.holds_for_code(code) {
        return;
    }
    let Some(column) = table.columns().get(index) else {
        return;
    };
    errors.errors.push(ValidationError {
        table: table.name(),
        column,
        constraint: table.constraint_name_of(column, RuleKind::Currency),
        kind: RuleKind::Currency,
        amount: None,
        code: Some(code.chars().take(16).collect::<String>().into_boxed_str()),
    });
}
