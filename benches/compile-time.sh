#!/usr/bin/env bash
# Compile time of 200 annotated models: #[derive(MoneyModel)] with
# #[money(serde)] and money-core's sqlx feature (validation, DDL, sqlx
# FromRow, JSON) against the same structs with serde + garde + sqlx::FromRow
# derives (validation by garde custom rules, JSON by rust_decimal's string
# serde; no DDL). Also: lines of expanded code per money field.
#
# Usage: bash benches/compile-time.sh   (from anywhere in the workspace)
#   RUNS=5        timed crate-only builds per side (interleaved), median reported
#   CLEAN_RUNS=1  clean builds per side, dependencies included (interleaved)
#   MODELS=200    models per crate
#   MONEY_CORE=path  the money-core the money side builds with (default: this
#                 workspace's), to measure a change such as
#                 benches/proposals/column-arrays.patch applied elsewhere
#   COMPILE_TIME_DIR=dir  where the crates are generated
#   SERDE=own     the money side's JSON: `own` (default, `#[money(serde)]`
#                 without serde attributes: the derive's own impls),
#                 `remote` (plus a no-op `#[serde(rename_all = "snake_case")]`,
#                 which sends it through serde_derive on the remote copy), or
#                 `none` (no JSON on either side: no `serde` key, and the
#                 baseline without serde's derives)
# The crates are generated under target/compile-time/ (outside the
# workspace, each with its own target directory and a copy of the
# workspace's Cargo.lock, so shared dependencies have the same versions).
# Every build is non-incremental (CARGO_INCREMENTAL=0): after a `touch`,
# an incremental build would reuse every query of the unchanged source
# and measure nothing but cargo's overhead.
# Results go to stdout and target/compile-time/results.md.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="${COMPILE_TIME_DIR:-${CARGO_TARGET_DIR:-$root/target}/compile-time}"
money_core="${MONEY_CORE:-$root/money-core}"
export CARGO_INCREMENTAL=0
RUNS="${RUNS:-5}"
CLEAN_RUNS="${CLEAN_RUNS:-1}"
MODELS="${MODELS:-200}"
SERDE="${SERDE:-own}"
case "$SERDE" in own | remote | none) ;; *) echo "SERDE must be own, remote or none" >&2; exit 2 ;; esac
mkdir -p "$work"
results="$work/results.md"
: >"$results"

say() { echo "$*" | tee -a "$results"; }

now() { date +%s%N; }
seconds() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# The garde rules the baseline's models call, as in benches/src/garde_rules.rs.
garde_rules() {
    cat <<'EOF'
pub mod rules {
    use rust_decimal::Decimal;
    pub const BOUND_19_4: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);
    pub const BOUND_10_2: Decimal = Decimal::from_parts(100_000_000, 0, 0, false, 0);
    pub const MAX_FEE: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);
    fn fraction_digits(value: Decimal) -> u32 {
        if value.scale() == 0 { 0 } else if value.mantissa() % 10 != 0 { value.scale() } else { value.normalize().scale() }
    }
    pub fn digits(bound: Decimal) -> impl FnOnce(&Decimal, &()) -> garde::Result {
        move |value, _| if value.abs() < bound { Ok(()) } else { Err(garde::Error::new("too many digits before the point")) }
    }
    pub fn scale(scale: u32) -> impl FnOnce(&Decimal, &()) -> garde::Result {
        move |value, _| if fraction_digits(*value) <= scale { Ok(()) } else { Err(garde::Error::new("too many digits after the point")) }
    }
    pub fn min(min: Decimal) -> impl FnOnce(&Decimal, &()) -> garde::Result {
        move |value, _| if *value >= min { Ok(()) } else { Err(garde::Error::new("below the minimum")) }
    }
    pub fn max(max: Decimal) -> impl FnOnce(&Decimal, &()) -> garde::Result {
        move |value, _| if *value <= max { Ok(()) } else { Err(garde::Error::new("above the maximum")) }
    }
    pub fn optional_digits(bound: Decimal) -> impl FnOnce(&Option<Decimal>, &()) -> garde::Result {
        move |value, context| value.as_ref().map_or(Ok(()), |value| digits(bound)(value, context))
    }
    pub fn optional_scale(limit: u32) -> impl FnOnce(&Option<Decimal>, &()) -> garde::Result {
        move |value, context| value.as_ref().map_or(Ok(()), |value| scale(limit)(value, context))
    }
}
EOF
}

# money_model NAME MONEY_FIELDS: one model, the first three money fields as
# in benches/src/lib.rs, further ones (19, 4).
money_model() {
    local name="$1" fields="$2" i
    echo "#[derive(MoneyModel)]"
    if [ "$SERDE" = none ]; then
        echo "#[money(table = \"${name,,}\")]"
    else
        echo "#[money(table = \"${name,,}\", serde)]"
    fi
    if [ "$SERDE" = remote ]; then echo "#[serde(rename_all = \"snake_case\")]"; fi
    echo "pub struct $name {"
    echo "    #[money(primary_key)]"
    echo "    pub id: i64,"
    for ((i = 0; i < fields; i++)); do
        case $i in
            0) echo "    #[money(precision = 19, scale = 4, min = \"0\")]"; echo "    pub balance: Decimal," ;;
            1) echo "    #[money(precision = 19, scale = 4)]"; echo "    pub overdraft_limit: Option<Decimal>," ;;
            2) echo "    #[money(precision = 10, scale = 2, min = \"0\", max = \"1000\")]"; echo "    pub fee: Decimal," ;;
            *) echo "    #[money(precision = 19, scale = 4)]"; echo "    pub amount_$i: Decimal," ;;
        esac
    done
    echo "    pub note: String,"
    echo "}"
}

# The baseline's `#[serde(with = ...)]` on a money field, unless SERDE=none.
serde_with() {
    if [ "$SERDE" != none ]; then echo "    #[serde(with = \"$1\")]"; fi
}

baseline_model() {
    local name="$1" fields="$2" i
    if [ "$SERDE" = none ]; then
        echo "#[derive(Validate, FromRow)]"
    else
        echo "#[derive(Serialize, Deserialize, Validate, FromRow)]"
    fi
    echo "pub struct $name {"
    echo "    #[garde(skip)]"
    echo "    pub id: i64,"
    for ((i = 0; i < fields; i++)); do
        case $i in
            0) serde_with rust_decimal::serde::str
               echo "    #[garde(custom(rules::digits(rules::BOUND_19_4)), custom(rules::scale(4)), custom(rules::min(Decimal::ZERO)))]"
               echo "    pub balance: Decimal," ;;
            1) serde_with rust_decimal::serde::str_option
               echo "    #[garde(custom(rules::optional_digits(rules::BOUND_19_4)), custom(rules::optional_scale(4)))]"
               echo "    pub overdraft_limit: Option<Decimal>," ;;
            2) serde_with rust_decimal::serde::str
               echo "    #[garde(custom(rules::digits(rules::BOUND_10_2)), custom(rules::scale(2)), custom(rules::min(Decimal::ZERO)), custom(rules::max(rules::MAX_FEE)))]"
               echo "    pub fee: Decimal," ;;
            *) serde_with rust_decimal::serde::str
               echo "    #[garde(custom(rules::digits(rules::BOUND_19_4)), custom(rules::scale(4)))]"
               echo "    pub amount_$i: Decimal," ;;
        esac
    done
    echo "    #[garde(skip)]"
    echo "    pub note: String,"
    echo "}"
}

# make_crate DIR SIDE MODELS FIELDS
make_crate() {
    local dir="$1" side="$2" models="$3" fields="$4" i
    mkdir -p "$dir/src"
    if [ "$side" = money ]; then
        cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$(basename "$dir")"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
money-core = { path = "$money_core", features = ["sqlx"] }

[workspace]
EOF
        {
            echo "#![allow(missing_docs)]"
            echo "use money_core::{Decimal, MoneyModel};"
            for ((i = 0; i < models; i++)); do money_model "Model$i" "$fields"; done
        } >"$dir/src/lib.rs"
    else
        cat >"$dir/Cargo.toml" <<EOF
[package]
name = "$(basename "$dir")"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
rust_decimal = { version = "1.43", default-features = false, features = ["std", "serde-with-str"] }
serde = { version = "1.0.219", features = ["derive"] }
garde = { version = "0.23", default-features = false, features = ["derive"] }
sqlx = { version = "0.9", default-features = false, features = ["derive", "postgres", "rust_decimal"] }

[workspace]
EOF
        {
            echo "#![allow(missing_docs)]"
            echo "use garde::Validate;"
            echo "use rust_decimal::Decimal;"
            if [ "$SERDE" != none ]; then echo "use serde::{Deserialize, Serialize};"; fi
            echo "use sqlx::FromRow;"
            garde_rules
            for ((i = 0; i < models; i++)); do baseline_model "Model$i" "$fields"; done
        } >"$dir/src/lib.rs"
    fi
    [ -f "$dir/Cargo.lock" ] || cp "$root/Cargo.lock" "$dir/Cargo.lock"
}

# time_build DIR ARGS...: seconds of one cargo invocation, in ns.
time_build() {
    local dir="$1"
    shift
    local start
    start=$(now)
    (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo "$@" -q)
    echo $(($(now) - start))
}

say "# Compile time: $MODELS models, #[derive(MoneyModel)] vs serde + garde + sqlx::FromRow"
say ""
say "machine: $(nproc) cores (nproc), $(free -g | awk '/^Mem:/ { print $2 }') GiB memory (free -g), $(rustc -V)"
say "money-core: $money_core; CARGO_INCREMENTAL=0; SERDE=$SERDE"
say "load average at start: $(loadavg)"
say ""

sides=(money baseline)
for side in "${sides[@]}"; do
    make_crate "$work/$side-$MODELS" "$side" "$MODELS" 3
done

rm -f "$work"/clean-*.ns "$work"/crate-*.ns "$work"/check-*.ns
# 1. Clean builds, dependencies included (dev profile, default jobs).
for ((run = 1; run <= CLEAN_RUNS; run++)); do
    for side in "${sides[@]}"; do
        dir="$work/$side-$MODELS"
        rm -rf "$dir/target"
        before=$(loadavg)
        ns=$(time_build "$dir" build --timings)
        echo "$ns" >>"$work/clean-$side.ns"
        say "clean build $run, $side: $(seconds "$ns") s (load $before before, $(loadavg) after); timings: $dir/target/cargo-timings/"
    done
done

# 2. The crate alone, dependencies built: touch, build; interleaved.
for side in "${sides[@]}"; do
    dir="$work/$side-$MODELS"
    (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build -q && CARGO_TARGET_DIR="$dir/target" cargo check -q)
    rm -f "$work/crate-$side.ns" "$work/check-$side.ns"
done
for ((run = 1; run <= RUNS; run++)); do
    for side in "${sides[@]}"; do
        dir="$work/$side-$MODELS"
        touch "$dir/src/lib.rs"
        time_build "$dir" build >>"$work/crate-$side.ns"
        touch "$dir/src/lib.rs"
        time_build "$dir" check >>"$work/check-$side.ns"
    done
done
say ""
say "| $MODELS models, 3 money fields each | #[derive(MoneyModel)] | serde + garde + sqlx::FromRow | ratio |"
say "|---|---:|---:|---:|"
row() {
    local label="$1" file="$2" money baseline
    money=$(median <"$work/$file-money.ns")
    baseline=$(median <"$work/$file-baseline.ns")
    say "| $label | $(seconds "$money") s | $(seconds "$baseline") s | $(awk -v a="$money" -v b="$baseline" 'BEGIN { printf "%.2f", a / b }') |"
}
[ "$CLEAN_RUNS" -gt 0 ] && row "clean \`cargo build\`, dependencies included (median of $CLEAN_RUNS)" clean
row "\`cargo build\` of the crate alone (median of $RUNS)" crate
row "\`cargo check\` of the crate alone (median of $RUNS)" check
say ""
say "load average at the end: $(loadavg)"
say ""

# 3. Expanded lines per money field: one model with 1 and with 11 money
# fields; (expanded - source) lines, the difference over 10 fields.
expanded_lines() {
    local dir="$1"
    (cd "$dir" && CARGO_TARGET_DIR="$dir/target" RUSTC_BOOTSTRAP=1 cargo rustc -q --lib -- -Zunpretty=expanded) >"$dir/expanded.rs"
    # rustfmt gives both sides the same layout; fall back to rustc's own.
    if rustfmt --edition 2024 --emit stdout <"$dir/expanded.rs" >"$dir/expanded.fmt.rs" 2>/dev/null; then
        grep -cv '^\s*$' "$dir/expanded.fmt.rs"
    else
        grep -cv '^\s*$' "$dir/expanded.rs"
    fi
}
source_lines() {
    if rustfmt --edition 2024 --emit stdout <"$1/src/lib.rs" >"$1/src.fmt.rs" 2>/dev/null; then
        grep -cv '^\s*$' "$1/src.fmt.rs"
    else
        grep -cv '^\s*$' "$1/src/lib.rs"
    fi
}
say "| expanded code (rustfmt, non-empty lines) | #[derive(MoneyModel)] | serde + garde + sqlx::FromRow |"
say "|---|---:|---:|"
# Non-empty lines of the money side's expansion by part: the MoneyModel
# impl (DEFINITION, validate), the sqlx impls, the serde impls (the
# derive's own, or serde_derive's on the remote copy of a model with serde
# attributes).
money_parts() {
    awk '
        /impl ::money_core::MoneyModel for/ { part = "model" }
        /impl(<DB>)? ::money_core::__private::(pg::PgModel|db::SqlModel(<DB>)?) for/ { part = "sqlx" }
        /#\[serde\(crate = / { part = "serde" }
        /impl ::money_core::__private::serde::Serialize for/ { part = "serde" }
        part != "" && !/^[[:space:]]*$/ { count[part]++ }
        END { print count["model"] + 0, count["sqlx"] + 0, count["serde"] + 0 }
    ' "$1"
}
declare -A generated parts
for side in "${sides[@]}"; do
    for fields in 1 11; do
        dir="$work/expand-$side"
        rm -f "$dir/src/lib.rs"
        make_crate "$dir" "$side" 1 "$fields"
        lines=$(expanded_lines "$dir")
        src=$(source_lines "$dir")
        generated[$side-$fields]=$((lines - src))
        if [ "$side" = money ] && [ -f "$dir/expanded.fmt.rs" ]; then
            parts[$fields]=$(money_parts "$dir/expanded.fmt.rs")
        fi
    done
done
say "| generated for a model with 1 money field and 2 other fields | ${generated[money-1]} | ${generated[baseline-1]} |"
say "| generated for a model with 11 money fields and 2 other fields | ${generated[money-11]} | ${generated[baseline-11]} |"
say "| per money field ((11 - 1) / 10) | $(((generated[money-11] - generated[money-1]) / 10)) | $(((generated[baseline-11] - generated[baseline-1]) / 10)) |"
if [ -n "${parts[1]:-}" ]; then
    read -r model1 sqlx1 serde1 <<<"${parts[1]}"
    read -r model11 sqlx11 serde11 <<<"${parts[11]}"
    say ""
    say "Per money field, by part of the #[derive(MoneyModel)] expansion: MoneyModel impl (DEFINITION, validate) $(((model11 - model1) / 10)), sqlx impls $(((sqlx11 - sqlx1) / 10)), serde impls $(((serde11 - serde1) / 10))."
fi
say ""
say "The baseline's count includes the shared garde rules module once; the same source lines are subtracted."
say "Results also in $results"
