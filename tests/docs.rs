//! The documentation keeps to the code and to the repository:
//! - `docs/classes.md` has a row for every class the model lists, and its tier,
//!   reply and quarantine columns say what `sluice_core::verdict` decides; a row
//!   for every reason with a reply of its own, and for every error class;
//! - every relative Markdown link resolves to a file of the repository (and a
//!   `#heading` link to a heading of that file);
//! - no Markdown file points outside the repository or talks of numbered issues.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sluice_core::verdict::{disposition, precedence};
use sluice_model::{Action, ErrorClass, MainClass, Precedence, Reason, SmtpReply, Subclass};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One row of a table in `docs/classes.md`, by the table's first header cell.
struct Row {
    table: String,
    cells: Vec<String>,
    line: usize,
}

/// The rows of every table, with the header of the table each belongs to.
fn table_rows(text: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut header: Option<String> = None;
    let mut previous_was_table = false;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('|') {
            previous_was_table = false;
            header = None;
            continue;
        }
        let cells: Vec<String> =
            line.trim_matches('|').split('|').map(|cell| cell.trim().to_owned()).collect();
        if !previous_was_table {
            header = Some(cells[0].to_lowercase());
        } else if !cells[0].starts_with("---") {
            rows.push(Row { table: header.clone().unwrap_or_default(), cells, line: index + 1 });
        }
        previous_was_table = true;
    }
    rows
}

/// The names in backticks of a cell: "`spam` / `gtube`" -> ["spam", "gtube"].
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// How a reply is written in the tables: `550 5.7.1 "text"`.
fn written(reply: &SmtpReply) -> String {
    let [class, subject, detail] = reply.enhanced;
    format!("{} {class}.{subject}.{detail} \"{}\"", reply.code, reply.text)
}

fn kept(action: Action) -> &'static str {
    if action == Action::Quarantine { "yes" } else { "no" }
}

fn first_word(cell: &str) -> &str {
    cell.split_whitespace().next().unwrap_or("")
}

/// The marker of a class whose reply is always that of one of the reasons in the
/// reasons table (the class alone does not say it).
const BY_REASON: &str = "by reason";

#[test]
fn the_class_table_says_what_the_verdict_decides() {
    let text = std::fs::read_to_string(root().join("docs/classes.md")).expect("docs/classes.md");
    let rows = table_rows(&text);
    let mut problems = Vec::new();

    // class | tier | stage | when | reply | kept | setting
    let mut classes: BTreeMap<(MainClass, Subclass), &Row> = BTreeMap::new();
    for row in rows.iter().filter(|row| row.table == "class") {
        let names = code_spans(&row.cells[0]);
        let parsed = match names[..] {
            [main, sub] => MainClass::parse(main).ok().zip(Subclass::parse(sub).ok()),
            _ => None,
        };
        match parsed {
            Some(pair) if pair.0.admits(pair.1) => {
                if classes.insert(pair, row).is_some() {
                    problems.push(format!("line {}: {}/{} twice", row.line, pair.0, pair.1));
                }
            }
            _ => problems.push(format!("line {}: {:?} is not a main class and one of its subclasses", row.line, row.cells[0])),
        }
    }
    // reason | class | stage | when | reply | kept
    let mut reasons: BTreeMap<Reason, Vec<(MainClass, Subclass)>> = BTreeMap::new();
    for row in rows.iter().filter(|row| row.table == "reason") {
        let reason = code_spans(&row.cells[0]).first().and_then(|name| Reason::parse(name).ok());
        let names = code_spans(&row.cells[1]);
        let class = match names[..] {
            [main, sub] => MainClass::parse(main).ok().zip(Subclass::parse(sub).ok()),
            _ => None,
        };
        let (Some(reason), Some((main, sub))) = (reason, class) else {
            problems.push(format!("line {}: {:?} / {:?} is not a reason and a class", row.line, row.cells[0], row.cells[1]));
            continue;
        };
        reasons.entry(reason).or_default().push((main, sub));
        let (action, reply) = disposition(main, sub, reason);
        if row.cells[4] != written(&reply) {
            problems.push(format!("line {}: {reason} ({main}/{sub}) replies {}, the doc says {}", row.line, written(&reply), row.cells[4]));
        }
        if first_word(&row.cells[5]) != kept(action) {
            problems.push(format!("line {}: {reason}: copy kept is {:?}, the doc says {:?}", row.line, kept(action), row.cells[5]));
        }
    }
    for reason in Reason::ALL.iter().filter(|reason| **reason != Reason::Class) {
        if !reasons.contains_key(reason) {
            problems.push(format!("no row for the reason `{reason}`"));
        }
    }

    for main in MainClass::ALL {
        for sub in main.subclasses() {
            let (action, reply) = disposition(*main, *sub, Reason::Class);
            let tier = precedence(*main, *sub);
            let Some(row) = classes.get(&(*main, *sub)) else {
                problems.push(format!(
                    "no row for | `{main}` / `{sub}` | {tier} | ... | {} | {} |",
                    written(&reply),
                    kept(action)
                ));
                continue;
            };
            if code_spans(&row.cells[1]) != [tier.as_str()] {
                problems.push(format!("line {}: {main}/{sub} is in the tier `{tier}`, the doc says {}", row.line, row.cells[1]));
            }
            if row.cells[4] == BY_REASON {
                let named = reasons.values().flatten().any(|class| *class == (*main, *sub));
                if !named {
                    problems.push(format!("line {}: {main}/{sub} replies {BY_REASON}, but no reason row names it", row.line));
                }
                continue;
            }
            if row.cells[4] != written(&reply) {
                problems.push(format!("line {}: {main}/{sub} replies {}, the doc says {}", row.line, written(&reply), row.cells[4]));
            }
            if first_word(&row.cells[5]) != kept(action) {
                problems.push(format!("line {}: {main}/{sub}: copy kept is {:?}, the doc says {:?}", row.line, kept(action), row.cells[5]));
            }
        }
    }

    // error class | when
    let errors: BTreeSet<&str> =
        rows.iter().filter(|row| row.table == "error class").filter_map(|row| code_spans(&row.cells[0]).first().copied()).collect();
    for error in ErrorClass::ALL {
        if !errors.contains(error.as_str()) {
            problems.push(format!("no row for the error class `{error}`"));
        }
    }
    // tier | ...: every tier, in the order of the enum.
    let tiers: Vec<&str> =
        rows.iter().filter(|row| row.table == "tier").filter_map(|row| code_spans(&row.cells[0]).first().copied()).collect();
    let expected: Vec<&str> = Precedence::ALL.iter().map(|tier| tier.as_str()).collect();
    if tiers != expected {
        problems.push(format!("the tiers table lists {tiers:?}, the code has {expected:?} in this order"));
    }
    if !text.contains(sluice_core::checks::stube::STUBE) {
        problems.push("the STUBE string is not the one `checks::stube` looks for".to_owned());
    }
    assert!(problems.is_empty(), "docs/classes.md disagrees with the code:\n{}", problems.join("\n"));
}

/// Markdown files of the repository, without build output, fuzzing artefacts and
/// test fixtures (which quote mail, not our documentation).
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, into: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            let skipped = relative.starts_with('.')
                || relative == "target"
                || relative.starts_with("target/")
                || relative.starts_with("fuzz/target")
                || relative.starts_with("fuzz/corpus")
                || relative.starts_with("fuzz/artifacts")
                || relative.starts_with("tests/data")
                || relative.starts_with("examples/data");
            if skipped {
                continue;
            }
            if path.is_dir() {
                walk(&path, root, into);
            } else if relative.ends_with(".md") {
                into.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root(), &root(), &mut files);
    files.sort();
    files
}

/// The text outside fenced code blocks and inline code spans, line by line.
fn prose_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut fenced = false;
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        lines.push((index + 1, prose));
    }
    lines
}

/// Link targets on a line: `[text](target)` and `[label]: target`.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        let target = after[..end].split_whitespace().next().unwrap_or("");
        targets.push(target.trim_matches(|c| c == '<' || c == '>').to_owned());
        rest = &after[end..];
    }
    let trimmed = line.trim_start();
    if trimmed.starts_with('[')
        && let Some(close) = trimmed.find("]:")
    {
        // A definition's target looks like a path or an address; prose such
        // as "[1,000]: every node" is not one.
        let target = trimmed[close + 2..].split_whitespace().next().unwrap_or("");
        if target.contains(['/', '.', '#']) {
            targets.push(target.to_owned());
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, punctuation other
/// than `-` and `_` dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            found.insert(anchor(line));
        }
    }
    found
}

#[test]
fn every_relative_link_resolves() {
    let mut broken = Vec::new();
    let files = markdown_files();
    assert!(files.iter().any(|file| file.ends_with("README.md")), "{files:?}");
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let relative = file.strip_prefix(root()).unwrap().display().to_string();
        for (line, prose) in prose_lines(&text) {
            for target in link_targets(&prose) {
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, fragment) = match target.split_once('#') {
                    Some((path, fragment)) => (path, Some(fragment)),
                    None => (target.as_str(), None),
                };
                let resolved = if path.is_empty() { file.clone() } else { file.parent().unwrap().join(path) };
                let inside = resolved.canonicalize().map(|real| real.starts_with(root().canonicalize().unwrap()));
                match inside {
                    Ok(true) => {}
                    Ok(false) => broken.push(format!("{relative}:{line}: {target} is outside the repository")),
                    Err(_) => {
                        broken.push(format!("{relative}:{line}: {target} does not exist"));
                        continue;
                    }
                }
                if let Some(fragment) = fragment.filter(|_| resolved.extension().is_some_and(|ext| ext == "md")) {
                    let headings = anchors(&std::fs::read_to_string(&resolved).unwrap_or_default());
                    if !headings.contains(fragment) {
                        broken.push(format!("{relative}:{line}: {target}: no heading with the anchor #{fragment}"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// Whether `text` talks of a numbered issue ("issue 4", "Issue 11", "issues 3").
fn numbered_issue(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.match_indices("issue").any(|(at, _)| {
        let rest = lower[at + "issue".len()..].trim_start_matches('s');
        let rest = rest.strip_prefix(' ').unwrap_or(rest).trim_start_matches('#');
        rest.starts_with(|c: char| c.is_ascii_digit())
    })
}

#[test]
fn the_documentation_stands_alone() {
    // Files the project was specified with but does not ship.
    let outside = ["../shared", "/work/shared", "spec/classifications.md", "BASELINES.md"];
    let mut found = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let relative = file.strip_prefix(root()).unwrap().display().to_string();
        for (index, line) in text.lines().enumerate() {
            for name in outside {
                if line.contains(name) {
                    found.push(format!("{relative}:{}: mentions {name}", index + 1));
                }
            }
            if numbered_issue(line) {
                found.push(format!("{relative}:{}: talks of a numbered issue; say what the thing is", index + 1));
            }
        }
    }
    assert!(found.is_empty(), "the documentation refers to what is not in the repository:\n{}", found.join("\n"));
}

#[test]
fn the_helpers_of_these_tests_find_what_they_look_for() {
    assert!(numbered_issue("the targets of issue 4 are met"));
    assert!(numbered_issue("(Issue 11; two proxies"));
    assert!(numbered_issue("issues 3 and 4"));
    assert!(!numbered_issue("a known issue with the tissue"));
    assert_eq!(link_targets("see [the guide](docs/deploy.md#backup) and [x](https://a.b)"), ["docs/deploy.md#backup", "https://a.b"]);
    assert_eq!(link_targets("[label]: ../x.md"), ["../x.md"]);
    assert!(link_targets("  [1,000]: every node").is_empty());
    assert_eq!(anchor("## Backup and restore (SQLite, PostgreSQL)"), "backup-and-restore-sqlite-postgresql");
    assert_eq!(code_spans("`unknown` / `message/partial`"), ["unknown", "message/partial"]);
    let rows = table_rows("| class | tier |\n| --- | --- |\n| `spam` / `gtube` | `decisive-content` |\n\ntext\n");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].table.as_str(), rows[0].cells[1].as_str()), ("class", "`decisive-content`"));
}
