#!/bin/sh
# Seeds the message_facts corpus from the repository's fixtures: the conformance
# messages of tests/data/mime and every check's .eml fixtures.
set -eu
cd "$(dirname "$0")"
mkdir -p seeds/message_facts
find ../tests/data -type f \( -name '*.eml' -o -name 'msg_*.txt' \) | while read -r file; do
    cp "$file" "seeds/message_facts/$(echo "$file" | sed 's|^\.\./tests/data/||; s|/|_|g')"
done
echo "seeded $(ls seeds/message_facts | wc -l) inputs"
# The archive target: the fixture archives, small ones only (the bombs are slow
# to mutate and prove nothing new).
mkdir -p seeds/archive
find ../tests/data/attachments/archives -type f -size -8k | while read -r file; do
    cp "$file" "seeds/archive/$(basename "$file")"
done
echo "seeded $(ls seeds/archive | wc -l) archives"
