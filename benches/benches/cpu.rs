//! Criterion: validation and JSON, no database.
//!
//! Each benchmark cycles through the same 1,024 different inputs on every
//! side, so no side gets to learn one value's branches.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use garde::Validate;
use money_benches::garde_rules::GardeAccount;
use money_benches::plain::PlainAccount;
use money_benches::{
    Account, every_rule_broken_sample, hand, invalid_sample, sample_json, samples,
};
use money_core::MoneyModel;

const INPUTS: usize = 1024;

fn validate(c: &mut Criterion) {
    let accounts = samples(0, INPUTS);
    let garde_accounts: Vec<GardeAccount> = accounts.iter().map(GardeAccount::from).collect();
    let mut group = c.benchmark_group("validate");
    let mut next = 0;
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            next = (next + 1) % INPUTS;
            hand::validate(black_box(&accounts[next])).is_ok()
        })
    });
    group.bench_function("generated", |b| {
        b.iter(|| {
            next = (next + 1) % INPUTS;
            black_box(&accounts[next]).validate().is_ok()
        })
    });
    group.bench_function("garde", |b| {
        b.iter(|| {
            next = (next + 1) % INPUTS;
            black_box(&garde_accounts[next]).validate().is_ok()
        })
    });
    group.finish();

    // The error path: three broken rules, every one reported.
    let invalid = invalid_sample();
    let garde_invalid = GardeAccount::from(&invalid);
    let mut group = c.benchmark_group("validate_invalid");
    group.bench_function("hand-written", |b| {
        b.iter(|| hand::validate(black_box(&invalid)))
    });
    group.bench_function("hand-written, same information", |b| {
        b.iter(|| hand::validate_reported(black_box(&invalid)))
    });
    group.bench_function("generated", |b| b.iter(|| black_box(&invalid).validate()));
    group.bench_function("garde", |b| b.iter(|| black_box(&garde_invalid).validate()));
    group.finish();

    // Every rule that can break at once (eight), every one reported.
    let every = every_rule_broken_sample();
    let garde_every = GardeAccount::from(&every);
    let mut group = c.benchmark_group("validate_every_rule");
    group.bench_function("hand-written", |b| {
        b.iter(|| hand::validate(black_box(&every)))
    });
    group.bench_function("hand-written, same information", |b| {
        b.iter(|| hand::validate_reported(black_box(&every)))
    });
    group.bench_function("generated", |b| b.iter(|| black_box(&every).validate()));
    group.bench_function("garde", |b| b.iter(|| black_box(&garde_every).validate()));
    group.finish();
}

fn json(c: &mut Criterion) {
    let texts: Vec<String> = (0..INPUTS as u64).map(sample_json).collect();
    let mut group = c.benchmark_group("json_deserialize");
    let mut next = 0;
    group.bench_function("serde_json + rust_decimal serde-str, unchecked", |b| {
        b.iter(|| {
            next = (next + 1) % INPUTS;
            serde_json::from_str::<PlainAccount>(black_box(&texts[next])).expect("valid")
        })
    });
    group.bench_function("generated #[money(serde)], checked", |b| {
        b.iter(|| {
            next = (next + 1) % INPUTS;
            serde_json::from_str::<Account>(black_box(&texts[next])).expect("valid")
        })
    });
    group.bench_function("generated #[money(serde)] + validate()", |b| {
        b.iter(|| {
            next = (next + 1) % INPUTS;
            let account: Account = serde_json::from_str(black_box(&texts[next])).expect("valid");
            account.validate().expect("valid");
            account
        })
    });
    group.finish();

    let accounts = samples(0, INPUTS);
    let plain: Vec<PlainAccount> = texts
        .iter()
        .map(|text| serde_json::from_str(text).expect("valid"))
        .collect();
    let mut group = c.benchmark_group("json_serialize");
    group.bench_function("serde_json + rust_decimal serde-str", |b| {
        b.iter(|| {
            next = (next + 1) % INPUTS;
            serde_json::to_string(black_box(&plain[next])).expect("serializes")
        })
    });
    group.bench_function("generated #[money(serde)]", |b| {
        b.iter(|| {
            next = (next + 1) % INPUTS;
            serde_json::to_string(black_box(&accounts[next])).expect("serializes")
        })
    });
    group.finish();
}

criterion_group!(benches, validate, json);
criterion_main!(benches);
