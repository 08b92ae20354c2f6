//! Arbitrary bytes and mangled JSON documents: reading never panics, and a
//! value that is accepted is exactly the value written in the document.
//! (`fuzz/` holds the same property as a cargo-fuzz target for long runs;
//! both include `fuzz/oracle.rs`.)

include!("../../fuzz/oracle.rs");

const SEEDS: &[&str] = &[
    r#"{"amount":"12.5","rounded":"1.005","fee":"-99.99"}"#,
    r#"{"amount":"0.0001","rounded":null}"#,
    r#"{"amount":-7,"fee":5}"#,
    r#"{"amount":"999999999999999.9999","rounded":"99999999.994"}"#,
    r#"{"amount":"-0","rounded":"0.00000000000000000000000000000"}"#,
    // serde's derive reads a struct from an array too, by position.
    r#"["12.5","1.005","-99.99"]"#,
    "\n[1,1,2]\n",
];

/// The input the cargo-fuzz target once failed on (an oracle that looked
/// fields up by name in an array): accepted, and checked by position.
#[test]
fn a_document_as_an_array_is_checked_by_position() {
    assert!(check(b"\n[1,1,2]\n"));
    assert!(check(br#"["12.5",null,"-99.99"]"#));
    assert!(!check(br#"["12.34567"]"#));
}

#[test]
fn no_panic_and_nothing_accepted_that_differs_from_its_input() {
    let mut rng = fastrand::Rng::with_seed(0xF022);
    let alphabet = b"0123456789.-+eE\" ,:{}[]nulltruefalseNaInfiy\\u00";
    let mut accepted = 0;
    let rounds = 200_000;
    for round in 0..rounds {
        let mut bytes = SEEDS[round % SEEDS.len()].as_bytes().to_vec();
        for _ in 0..rng.usize(0..6) {
            match rng.u8(0..5) {
                0 if !bytes.is_empty() => {
                    let at = rng.usize(..bytes.len());
                    bytes[at] = alphabet[rng.usize(..alphabet.len())];
                }
                1 => {
                    let at = rng.usize(..=bytes.len());
                    bytes.insert(at, alphabet[rng.usize(..alphabet.len())]);
                }
                2 if !bytes.is_empty() => {
                    let at = rng.usize(..bytes.len());
                    bytes.remove(at);
                }
                3 => {
                    let at = rng.usize(..=bytes.len());
                    let digits: Vec<u8> =
                        (0..rng.usize(1..40)).map(|_| rng.u8(b'0'..=b'9')).collect();
                    bytes.splice(at..at, digits);
                }
                _ => {
                    let at = rng.usize(..=bytes.len());
                    bytes.insert(at, rng.u8(..));
                }
            }
        }
        accepted += usize::from(check(&bytes));
    }
    // Pure noise too.
    for _ in 0..20_000 {
        let bytes: Vec<u8> = (0..rng.usize(0..64)).map(|_| rng.u8(..)).collect();
        check(&bytes);
    }
    // Long inputs are refused without being parsed.
    let long = format!(r#"{{"amount":"{}"}}"#, "1".repeat(1 << 20));
    assert!(!check(long.as_bytes()));
    eprintln!("json fuzz: {rounds} mangled documents, {accepted} accepted and checked");
    assert!(
        accepted > rounds / 20,
        "too few accepted documents: {accepted}"
    );
}
