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
# The session target: a few whole conversations (pipelined, with the tricky bits
# of issue 9), one file each.
mkdir -p seeds/smtp_session
printf 'EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n' > seeds/smtp_session/plain
printf 'HELO c.test\r\nMAIL FROM:<"a b"@x.test> SIZE=100\r\nRCPT TO:<postmaster>\r\nRCPT TO:<"q"@other.test>\r\nDATA\r\nSubject: x\rBcc: y\r\n\r\n..dot\nbare\r.\r\r\nMAIL FROM:<e@x.test>\r\n.\r\nRSET\r\nQUIT\r\n' > seeds/smtp_session/tricky
printf 'EHLO c.test\r\nMAIL FROM:<>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nDATA\r\n.\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@other.test>\r\nDATA\r\nSubject: two\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n.\r\nQUIT\r\n' > seeds/smtp_session/two
printf 'EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nSubject: smuggle\r\n\r\nx\n.\nMAIL FROM:<e@x.test>\r\nRCPT TO:<v@example.test>\r\nDATA\r\nsmuggled\r\n.\r\n' > seeds/smtp_session/smuggle
# Messages with a fresh Date (the date check refuses one older than 7 days), so
# that mutations reach delivery and not only the quarantine.
date="$(date -R)"
printf 'EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nFrom: a@x.test\r\nDate: %s\r\nMessage-ID: <1@x.test>\r\nSubject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n' "$date" > seeds/smtp_session/dated
printf 'EHLO c.test\r\nMAIL FROM:<"a b"@x.test>\r\nRCPT TO:<postmaster>\r\nRCPT TO:<c@other.test>\r\nDATA\r\nFrom: a@x.test\r\nDate: %s\r\nMessage-ID: <2@x.test>\r\nSubject: x\rBcc: y\r\n\r\n..dot\nbare\r.\r\r\n.\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nFrom: a@x.test\r\nDate: %s\r\nMessage-ID: <3@x.test>\r\n\r\nx\n.\nMAIL FROM:<e@x.test>\r\n.\r\n' "$date" "$date" > seeds/smtp_session/dated-tricky
echo "seeded $(ls seeds/smtp_session | wc -l) sessions"
