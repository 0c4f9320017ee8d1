//! The invariants of ARCHITECTURE.md that a reader cannot check at a glance,
//! checked on the source tree ("tidy", as rust-analyzer does). Each rule is a pure
//! function over file contents, and each has a unit test that shows it catching a
//! breach, so a rule that silently stopped matching would be noticed.
//!
//! - The pure crates (`model`, `core`, `statistical`) depend on no I/O crate.
//! - No class name is written as a string literal outside `crates/model`.
//! - Every Rust source file opens with a `//!` comment saying what it is for.
//!
//! Two more invariants live as unit tests beside the code they guard: the
//! disposition table covers every class and reason
//! (`core::verdict::tests::every_class_of_the_taxonomy_has_a_disposition`), and a
//! panicking check gives `451` `error`/`unknown`
//! (`core::classify::tests::a_panicking_check_gives_451_error_unknown`).

use std::path::{Path, PathBuf};

use sluice_model::{ErrorClass, MainClass, Subclass};

/// Crates that do I/O: a pure crate depending on one of them could reach the
/// network, the disk or a clock through it.
const IO_CRATES: &[&str] = &[
    "tokio", "sqlx", "hickory-resolver", "axum", "tower-http", "mail-send", "rustls", "tokio-rustls", "reqwest",
    "sluice-store", "sluice-gateway", "sluice-web",
];

/// The crates that must stay pure.
const PURE_CRATES: &[&str] = &["model", "core", "statistical"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The I/O crates named in the `[dependencies]` section of a Cargo.toml.
fn io_dependencies(manifest: &str) -> Vec<String> {
    let mut in_dependencies = false;
    let mut found = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if !in_dependencies {
            continue;
        }
        let name = line.split(['=', '.', ' ']).next().unwrap_or_default().trim();
        if IO_CRATES.contains(&name) {
            found.push(name.to_owned());
        }
    }
    found
}

/// Class names that can only be class names: those with a character other than a
/// letter (`not-spam`, `statistical-method1-cluster`, `message/partial`). The
/// one-word names (`spam`, `error`, `sender`) are ordinary words too, used as JSON
/// keys and column names, and are left out.
fn distinctive_class_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = MainClass::ALL.iter().map(|class| class.as_str()).collect();
    names.extend(Subclass::ALL.iter().map(|class| class.as_str()));
    names.extend(ErrorClass::ALL.iter().map(|class| class.as_str()));
    names.retain(|name| !name.chars().all(|c| c.is_ascii_lowercase()));
    names.sort_unstable();
    names.dedup();
    names
}

/// `(line, literal)` for every string literal in `source` that is a class name.
fn class_name_literals(source: &str, names: &[&str]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find('"') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('"') else { break };
            let literal = &after[..end];
            if names.contains(&literal) {
                found.push((number + 1, literal.to_owned()));
            }
            rest = &after[end + 1..];
        }
    }
    found
}

fn opens_with_doc_comment(source: &str) -> bool {
    source.trim_start().starts_with("//!")
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target" && name != "data") {
                rust_files(&path, into);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// The project's own Rust sources (not the tests' fixtures).
fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["src", "crates", "tests", "bench", "fuzz/fuzz_targets"] {
        rust_files(&root().join(dir), &mut files);
    }
    files
}

#[test]
fn pure_crates_depend_on_no_io_crate() {
    for name in PURE_CRATES {
        let path = root().join("crates").join(name).join("Cargo.toml");
        let manifest = std::fs::read_to_string(&path).unwrap();
        assert_eq!(io_dependencies(&manifest), Vec::<String>::new(), "{}", path.display());
    }
}

#[test]
fn class_names_are_spelled_only_in_the_model() {
    let names = distinctive_class_names();
    let mut breaches = Vec::new();
    for file in sources() {
        let relative = file.strip_prefix(root()).unwrap_or(&file);
        // The model spells them; tests/ checks the wire contract, which is made of them.
        if relative.starts_with("crates/model") || relative.starts_with("tests") {
            continue;
        }
        let source = std::fs::read_to_string(&file).unwrap();
        for (line, literal) in class_name_literals(&source, &names) {
            breaches.push(format!("{}:{line}: \"{literal}\"", relative.display()));
        }
    }
    assert!(breaches.is_empty(), "class names written as literals (name the enum variant instead):\n{}", breaches.join("\n"));
}

#[test]
fn every_source_file_says_what_it_is_for() {
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|file| !opens_with_doc_comment(&std::fs::read_to_string(file).unwrap_or_default()))
        .map(|file| file.display().to_string())
        .collect();
    assert!(missing.is_empty(), "files without a leading //! comment:\n{}", missing.join("\n"));
}

/// The rules catch what they are meant to catch.
mod rules {
    use super::*;

    #[test]
    fn an_io_dependency_of_a_pure_crate_is_caught() {
        let manifest = "[package]\nname = \"x\"\n[dependencies]\nserde.workspace = true\ntokio = { version = \"1\" }\n[dev-dependencies]\nsqlx = \"0.9\"\n";
        assert_eq!(io_dependencies(manifest), ["tokio"], "dev-dependencies may do I/O");
    }

    #[test]
    fn a_class_name_literal_is_caught() {
        let names = distinctive_class_names();
        assert!(names.contains(&"badly-formed") && names.contains(&"message/partial"));
        assert!(!names.contains(&"spam"), "one-word names are ordinary words too");
        let source = "let sub = \"badly-formed\";\nlet text = \"a badly-formed message\";\nlet key = \"error\";";
        assert_eq!(class_name_literals(source, &names), [(1, "badly-formed".to_owned())]);
    }

    #[test]
    fn a_file_without_its_doc_comment_is_caught() {
        assert!(opens_with_doc_comment("//! What this is.\nfn main() {}"));
        assert!(!opens_with_doc_comment("// a plain comment\nfn main() {}"));
        assert!(!opens_with_doc_comment("fn main() {}"));
    }
}
