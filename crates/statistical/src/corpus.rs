//! Reading labelled mail from disk for `sluice train` and `sluice eval`: directories
//! of `.eml` files, Maildir folders, mbox files, and label files (`file<TAB>spam|ham`,
//! optionally a third `split` column as in the corpus's `SPLIT.tsv`).
//!
//! Files are read in sorted order so that training is reproducible.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::cluster::Label;

/// One message read from disk.
#[derive(Clone, Debug)]
pub struct LabelledMessage {
    /// Where it came from: a path, or `path#n` for the n-th message of an mbox.
    pub source: String,
    pub raw: Vec<u8>,
    pub label: Label,
}

/// Every message under `path`: a directory (searched recursively; a Maildir's
/// `cur`/`new` are ordinary subdirectories, its `tmp` is skipped), an mbox file
/// (several messages split on `From ` lines) or a single message file.
pub fn read_messages(path: &Path, label: Label) -> io::Result<Vec<LabelledMessage>> {
    let mut files = Vec::new();
    if path.is_dir() {
        list_files(path, &mut files)?;
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    let mut messages = Vec::new();
    for file in files {
        let raw = fs::read(&file)?;
        let source = file.display().to_string();
        let pieces = split_mbox(&raw);
        if pieces.len() > 1 {
            for (index, piece) in pieces.into_iter().enumerate() {
                messages.push(LabelledMessage {
                    source: format!("{source}#{}", index + 1),
                    raw: piece.to_vec(),
                    label,
                });
            }
        } else {
            messages.push(LabelledMessage { source, raw, label });
        }
    }
    Ok(messages)
}

/// Reads `--spam` and `--ham` locations.
pub fn read_spam_and_ham(spam: &[PathBuf], ham: &[PathBuf]) -> io::Result<Vec<LabelledMessage>> {
    let mut messages = Vec::new();
    for path in spam {
        messages.extend(read_messages(path, Label::Spam)?);
    }
    for path in ham {
        messages.extend(read_messages(path, Label::Ham)?);
    }
    Ok(messages)
}

/// Reads a label file: `file<TAB>spam|ham[<TAB>split]` per line, paths relative to
/// the label file's directory. A first line naming the columns is skipped. With
/// `split`, only rows whose third column equals it are read.
pub fn read_label_file(labels: &Path, split: Option<&str>) -> io::Result<Vec<LabelledMessage>> {
    let text = fs::read_to_string(labels)?;
    let base = labels.parent().unwrap_or(Path::new("."));
    let mut messages = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let mut columns = line.split('\t');
        let (Some(file), Some(label)) = (columns.next(), columns.next()) else {
            continue;
        };
        let label = match label.trim() {
            "spam" => Label::Spam,
            "ham" => Label::Ham,
            other if other == sluice_model::MainClass::NotSpam.as_str() => Label::Ham,
            _ if number == 0 => continue,
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}:{}: label {other:?} is neither spam nor ham", labels.display(), number + 1),
                ));
            }
        };
        if let Some(split) = split
            && columns.next().map(str::trim) != Some(split)
        {
            continue;
        }
        let path = base.join(file.trim());
        let raw = fs::read(&path)?;
        messages.push(LabelledMessage {
            source: path.display().to_string(),
            raw,
            label,
        });
    }
    Ok(messages)
}

fn list_files(directory: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(directory)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        // Follows symbolic links: a corpus split is often a directory of links.
        let kind = fs::metadata(&path)?.file_type();
        if kind.is_dir() {
            // Maildir's tmp holds messages still being written.
            if name != "tmp" {
                list_files(&path, files)?;
            }
        } else if kind.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

/// Splits an mbox on its `From ` separator lines (at the start or after a blank
/// line). A single message with one leading `From ` line comes back whole.
pub fn split_mbox(raw: &[u8]) -> Vec<&[u8]> {
    if !raw.starts_with(b"From ") {
        return vec![raw];
    }
    let mut starts = vec![0];
    let mut position = 0;
    while let Some(offset) = find(&raw[position..], b"\n\nFrom ") {
        let start = position + offset + 2;
        starts.push(start);
        position = start;
    }
    starts
        .iter()
        .enumerate()
        .map(|(index, &start)| &raw[start..starts.get(index + 1).copied().unwrap_or(raw.len())])
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_is_split_on_separator_lines() {
        let mbox = b"From a@b Mon\nSubject: one\n\nbody\n\nFrom c@d Tue\nSubject: two\n\ntext\nFrom here on\n";
        let pieces = split_mbox(mbox);
        assert_eq!(pieces.len(), 2);
        assert!(pieces[0].starts_with(b"From a@b"));
        assert!(pieces[1].starts_with(b"From c@d"));
        assert!(pieces[1].ends_with(b"From here on\n"));
        assert_eq!(split_mbox(b"Subject: x\n\nFrom me\n").len(), 1);
    }

    #[test]
    fn directories_maildirs_and_label_files() {
        let root = std::env::temp_dir().join(format!("sluice-statistical-corpus-{}", std::process::id()));
        let maildir = root.join("Maildir");
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(maildir.join(sub)).expect("temp dir");
        }
        fs::write(maildir.join("cur/1"), b"Subject: a\n\nx").expect("write");
        fs::write(maildir.join("new/2"), b"Subject: b\n\ny").expect("write");
        fs::write(maildir.join("tmp/3"), b"partial").expect("write");
        let messages = read_messages(&maildir, Label::Ham).expect("read");
        assert_eq!(messages.len(), 2);

        fs::write(root.join("labels.tsv"), "file\tlabel\tsplit\nMaildir/cur/1\tspam\ttrain\nMaildir/new/2\tham\ttest\n")
            .expect("write");
        let all = read_label_file(&root.join("labels.tsv"), None).expect("read");
        assert_eq!(all.iter().map(|m| m.label).collect::<Vec<_>>(), vec![Label::Spam, Label::Ham]);
        let test = read_label_file(&root.join("labels.tsv"), Some("test")).expect("read");
        assert_eq!(test.len(), 1);
        fs::remove_dir_all(&root).expect("cleanup");
    }
}
