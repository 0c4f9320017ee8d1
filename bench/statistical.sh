#!/bin/sh
# Accuracy and speed of the statistical classifiers (issue 4) on the SpamAssassin
# corpus: trains the cluster scope from the train split, evaluates the embedded global
# model (and that cluster model) on the test split, and times both.
#
#   bench/statistical.sh [CORPUS_DIR]    (default /work/shared/corpus/spamassassin)
#
# Needs a release build: cargo build --release -p sluice
set -eu
corpus=${1:-/work/shared/corpus/spamassassin}
sluice=${SLUICE:-"${CARGO_TARGET_DIR:-target}"/release/sluice}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Split directories of symlinks, so --spam/--ham see only one split.
for split in train test; do
    for label in spam ham; do
        mkdir -p "$work/$split/$label"
        awk -F'\t' -v s="$split" -v l="$label" '$3 == s && $2 == l { print $1 }' "$corpus/SPLIT.tsv" |
            while read -r file; do ln -s "$corpus/$file" "$work/$split/$label/"; done
    done
done
printf 'hostname = "mx.example.org"\ndata_dir = "%s/data"\n[[domains]]\nname = "example.org"\ndestination = "127.0.0.1:2525"\n' "$work" > "$work/sluice.toml"

echo "== global model alone, test split"
/usr/bin/time -f "%e s wall, %U s user, %M KiB max RSS" \
    "$sluice" eval --config "$work/sluice.toml" --spam "$work/test/spam" --ham "$work/test/ham" --plot "$work/plots"

echo "== cluster training on the train split ($(ls "$work/train/spam" | wc -l) spam, $(ls "$work/train/ham" | wc -l) ham)"
/usr/bin/time -f "%e s wall, %U s user, %M KiB max RSS" \
    "$sluice" train --config "$work/sluice.toml" --spam "$work/train/spam" --ham "$work/train/ham" --scope cluster
echo "store after training: $(du -sk "$work/data" | cut -f1) KiB (learning rows and the snapshot)"
echo "== training the same messages again (idempotent: nothing learned)"
"$sluice" train --config "$work/sluice.toml" --spam "$work/train/spam" --ham "$work/train/ham" --scope cluster

echo "== global + cluster, test split"
"$sluice" eval --config "$work/sluice.toml" --spam "$work/test/spam" --ham "$work/test/ham"
