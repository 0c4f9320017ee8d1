#!/usr/bin/env python3
"""Writes the fixtures of the structural and policy checks (tests/data/<check>/).

Run from the repository root: `python3 tests/data/generate.py`. The files it writes
are committed; this script exists so a reader can see how each was made and so a
boundary can be moved in one place. Needs Python 3.9+, for the 7z fixtures the
`7z` command (Debian package p7zip-full), for the RAR ones `rars` (Apache-2.0,
`cargo install rars-cli`; RARS=/path/to/rars if it is not on the PATH). Archives
carry the time they were made: regenerating rewrites every archive fixture.

Every .eml carries an `X-Sluice-Expect:` header: `pass` (the check finds nothing) or
a piece of the finding, as `main/sub extra`, that the unit test must see.
"""
import base64, gzip, io, os, shutil, struct, subprocess, tarfile, tempfile, zipfile, zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)))


def write(check, name, data):
    folder = os.path.join(ROOT, check)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data)


def eml(expect, headers, body, date="Mon, 08 Jan 2024 00:00:00 +0000"):
    head = "X-Sluice-Expect: %s\r\nFrom: a@example.net\r\nTo: b@example.org\r\n" % expect
    if date:
        head += "Date: %s\r\n" % date
    head += "Message-ID: <fixture@example.net>\r\n" + headers
    if isinstance(body, str):
        body = body.encode()
    return head.encode() + b"\r\n" + body


def text(expect, subject, body, extra=""):
    return eml(expect, "Subject: %s\r\n%s" % (subject, extra), body)


def multipart(expect, subject, parts, boundary="sluice-b"):
    body = "".join("--%s\r\n%s" % (boundary, part) for part in parts) + "--%s--\r\n" % boundary
    return eml(expect, 'Subject: %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="%s"\r\n' % (subject, boundary), body)


def attachment(name, data, ctype="application/octet-stream"):
    encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
    return ('Content-Type: %s; name="%s"\r\nContent-Disposition: attachment; filename="%s"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n%s" % (ctype, name, name, encoded))


TEXT_PART = "Content-Type: text/plain; charset=us-ascii\r\n\r\nSee the attachment.\r\n"

# line_length ---------------------------------------------------------------------
write("line_length", "998-octets.eml", text("pass", "exactly 998", "x" * 998 + "\r\nshort\r\n"))
write("line_length", "999-octets.eml", text("line length 999 > 998", "one over", "x" * 999 + "\r\n"))
write("line_length", "lf-only-998.eml", text("pass", "bare LF endings", "y" * 998 + "\n").replace(b"\r\n", b"\n"))
write("line_length", "long-header-line.eml", text("line length 1509 > 998", "x" * 1500, "body\r\n"))
write("line_length", "no-final-newline-999.eml", text("line length 999 > 998", "unterminated", "z" * 999))

# mime_parts ----------------------------------------------------------------------
def flat(expect, leaves):
    parts = ["Content-Type: text/plain\r\n\r\npart %d\r\n" % index for index in range(leaves)]
    return multipart(expect, "%d leaves" % leaves, parts)

write("mime_parts", "100-parts.eml", flat("pass", 99))
write("mime_parts", "101-parts.eml", flat("MIME parts 101 > 100", 100))

def nested(expect, levels):
    head = "Subject: nested %d\r\nMIME-Version: 1.0\r\n" % levels
    body = ""
    for level in range(levels):
        if level:
            body += 'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n' % level
        body += "--n%d\r\n" % level
    body += "Content-Type: text/plain\r\n\r\ninner\r\n"
    for level in reversed(range(levels)):
        body += "--n%d--\r\n" % level
    return eml(expect, head + 'Content-Type: multipart/mixed; boundary="n0"\r\n', body)

write("mime_parts", "depth-16.eml", nested("pass", 16))
write("mime_parts", "depth-17.eml", nested("MIME depth 17 > 16", 17))
write("mime_parts", "forwarded-message.eml", multipart("pass", "fwd", [TEXT_PART,
    "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: c@example.com\r\n\r\ninner body\r\n"]))

# header_length -------------------------------------------------------------------
write("header_length", "8192-octets.eml", text("pass", "at the limit", "body\r\n", "X-Long: %s\r\n" % ("a" * (8192 - 8))))
write("header_length", "8193-octets.eml", text("header X-Long 8193 octets > 8192", "one over", "body\r\n", "X-Long: %s\r\n" % ("a" * (8192 - 7))))
folded = "\r\n ".join(["<%04d@example.net>" % i for i in range(500)])
write("header_length", "folded-references.eml", text("header References", "long references", "body\r\n", "References: %s\r\n" % folded))
write("header_length", "folded-short.eml", text("pass", "a normal folded header", "body\r\n", "References: %s\r\n" % "\r\n ".join(["<%d@x>" % i for i in range(20)])))

# header_count --------------------------------------------------------------------
write("header_count", "single-instance.eml", text("pass", "all once", "body\r\n", "Cc: c@example.org\r\nReply-To: r@example.net\r\n"))
write("header_count", "two-subjects.eml", text("Subject header 2 times", "first", "body\r\n", "Subject: second\r\n"))
write("header_count", "two-from.eml", text("From header 2 times", "two senders", "body\r\n", "FROM: other@example.com\r\n"))
write("header_count", "three-dates.eml", text("Date header 3 times", "dates", "body\r\n", "Date: Tue, 09 Jan 2024 00:00:00 +0000\r\nDate: Wed, 10 Jan 2024 00:00:00 +0000\r\n"))
write("header_count", "repeatable-fields.eml", text("pass", "repeatable", "body\r\n",
    "Received: from a by b\r\nReceived: from c by d\r\nResent-From: x@example.net\r\nResent-From: y@example.net\r\nComments: one\r\nComments: two\r\nKeywords: a\r\nKeywords: b\r\n"))

# subject_chars -------------------------------------------------------------------
write("subject_chars", "ascii.eml", text("pass", "plain ASCII", "body\r\n"))
write("subject_chars", "rfc2047.eml", text("pass", "=?UTF-8?B?R3LDvMOfZQ==?=", "body\r\n"))
def raw_subject(expect, subject_bytes):
    message = eml(expect, "Subject: SUBJECT\r\n", "body\r\n")
    return message.replace(b"SUBJECT", subject_bytes, 1)

write("subject_chars", "raw-latin1.eml", raw_subject("Badly formed Subject header", "Grüße aus Köln".encode("latin-1")))
write("subject_chars", "raw-utf8.eml", raw_subject("Badly formed Subject header", "Grüße aus Köln".encode("utf-8")))
write("subject_chars", "8bit-body-only.eml", eml("pass", "Subject: fine\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n", "Grüße\r\n".encode()))

# date (the test's clock: 2024-01-08 00:00:00 UTC) --------------------------------
def dated(expect, date, name):
    write("date", name, eml(expect, "Subject: %s\r\n" % name, "body\r\n", date=date))

dated("pass", "Mon, 01 Jan 2024 00:00:00 +0000", "exactly-7-days-past.eml")
dated("in the past", "Sun, 31 Dec 2023 23:59:59 +0000", "7-days-1s-past.eml")
dated("pass", "Mon, 15 Jan 2024 00:00:00 +0000", "exactly-7-days-future.eml")
dated("in the future", "Mon, 15 Jan 2024 00:00:01 +0000", "7-days-1s-future.eml")
dated("pass", "Mon, 08 Jan 2024 02:00:00 +0200", "now-other-zone.eml")
dated("in the past", "Tue, 01 Jan 2002 10:00:00 -0500", "year-2002.eml")
dated("missing Date header", None, "missing.eml")
dated("unparseable Date header", "last Tuesday", "garbage.eml")

# partial -------------------------------------------------------------------------
write("partial", "partial.eml", eml("unknown/message/partial message/partial id=frag@example.net number=1",
    'Subject: part 1 of 2\r\nMIME-Version: 1.0\r\nContent-Type: message/partial; id="frag@example.net"; number=1; total=2\r\n',
    "Subject: the real one\r\n\r\nfirst half\r\n"))
write("partial", "partial-inside-mixed.eml", multipart("unknown/message/partial", "wrapped fragment",
    [TEXT_PART, 'Content-Type: message/partial; id="x@y"; number=2; total=2\r\n\r\nsecond half\r\n']))
write("partial", "rfc822-is-fine.eml", multipart("pass", "forward", [TEXT_PART, "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner\r\n"]))

# structure -----------------------------------------------------------------------
write("structure", "good.eml", multipart("pass", "fine", [TEXT_PART, attachment("a.txt", b"hello")]))
write("structure", "nul-in-header.eml", text("NUL byte in header", "nul\x00here", "body\r\n"))
write("structure", "nul-in-part-header.eml", multipart("NUL byte in header", "part nul", ["Content-Type: text/plain\r\nX-Bad: a\x00b\r\n\r\nbody\r\n"]))
write("structure", "multipart-without-boundary.eml", eml("multipart without boundary", "Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n", "--b\r\n\r\nbody\r\n--b--\r\n"))
write("structure", "boundary-never-found.eml", eml("MIME boundary never found", 'Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="abc"\r\n', "--xyz\r\n\r\nbody\r\n--xyz--\r\n"))
write("structure", "bad-base64.eml", multipart("undecodable base64 part", "bad base64", ["Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n%%PDF not base64 at all!\r\n"]))
write("structure", "unclosed-multipart.eml", eml("pass", 'Subject: truncated\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n', "--b\r\nContent-Type: text/plain\r\n\r\nno close delimiter\r\n"))

# stube ---------------------------------------------------------------------------
STUBE = "XJS*SLUICE*STUBE-STANDARD-QUARANTINE-TEST-EMAIL*7Q2K*C.34X"
write("stube", "stube.eml", text("spam/stube", "quarantine test", "This is the STUBE test.\r\n%s\r\n" % STUBE))
write("stube", "stube-base64.eml", eml("spam/stube", "Subject: encoded\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n", base64.encodebytes(STUBE.encode()).decode().replace("\n", "\r\n")))
write("stube", "stube-in-subject-only.eml", text("pass", STUBE, "nothing in the body\r\n"))
write("stube", "almost-stube.eml", text("pass", "typo", STUBE.replace("7Q2K", "7Q2X") + "\r\n"))

# attachments ---------------------------------------------------------------------
def zipped(entries, password_flag=False):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    data = bytearray(buffer.getvalue())
    if password_flag:
        # Set the "encrypted" general-purpose bit in every local and central header
        # (what a ZipCrypto archive has); the listing only reads that bit.
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            start = 0
            while True:
                at = data.find(signature, start)
                if at < 0:
                    break
                data[at + offset] |= 1
                start = at + 4
    return bytes(data)


def targz(entries):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1704672000
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def run_archiver(entries, archive_name, command):
    """Writes `entries` as files in a scratch folder, runs `command(target, names)`
    there and returns the archive it wrote."""
    folder = tempfile.mkdtemp()
    try:
        for name, data in entries:
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(data)
        target = os.path.join(folder, archive_name)
        subprocess.run(command(target, [name for name, _ in entries]), cwd=folder, check=True, stdout=subprocess.DEVNULL)
        with open(target, "rb") as handle:
            return handle.read()
    finally:
        shutil.rmtree(folder)


def sevenz(entries, password=None, encrypt_headers=False, method=None):
    options = ["-m0=" + method] if method else []
    if password:
        options += ["-p" + password, "-mhe=" + ("on" if encrypt_headers else "off")]
    return run_archiver(entries, "out.7z", lambda target, names: ["7z", "a", "-bd", "-bso0"] + options + [target] + names)


def rars(entries, fmt="rar50", solid=False, password=None, encrypt_headers=False, store=False, dictionary=None):
    """A RAR archive written by the `rars` command."""
    options = ["--format", fmt]
    options += ["--solid"] if solid else []
    options += ["--store"] if store else []
    options += ["--dict-size", dictionary] if dictionary else []
    options += ["--password", password] if password else []
    options += ["--encrypt-headers"] if encrypt_headers else []
    rars_command = [os.environ.get("RARS", "rars"), "add", "--progress", "never", "--threads", "1"]
    return run_archiver(entries, "out.rar", lambda target, names: rars_command + options + [target] + names)


def tar_of(entries):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def stored_zip(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def zip_methods(entries):
    """A zip whose entries each name their compression: (name, data, zipfile method)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data, method in entries:
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 8, 0, 0, 0)), data, compress_type=method)
    return out.getvalue()


def zip_claiming_method(entries, method):
    """A stored zip whose headers claim another method (e.g. 93, Zstandard)."""
    data = bytearray(stored_zip(entries))
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            data[at + offset:at + offset + 2] = struct.pack("<H", method)
            start = at + 4
    return bytes(data)


def deflated_zip(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


level3 = targz([("deep/run.vbs", b"WScript.Echo 1\n")])
level2 = zipped([("level3.tar.gz", level3)])
nested_zip = zipped([("level2.zip", level2)])
four_deep = zipped([("l2.zip", zipped([("l3.zip", zipped([("l4.zip", zipped([("evil.exe", b"MZ")]))]))]))])
archives = {
    "plain.zip": zipped([("readme.txt", b"hello"), ("tool.exe", b"MZ\x90\x00")]),
    "nested.zip": nested_zip,
    "secret.zip": zipped([("data.txt", b"secret")], password_flag=True),
    "files.7z": sevenz([("setup.msi", b"installer"), ("notes.txt", b"notes")]),
    "files.rar": rars([("notes.txt", b"notes"), ("script.js", b"alert(1)")], store=True),
    "files4.rar": rars([("notes.txt", b"notes"), ("macro.vbs", b"x")], fmt="rar29"),
    "files.tar.gz": targz([("a/b.bat", b"echo off\r\n"), ("a/c.txt", b"c")]),
    "four-deep.zip": four_deep,
    "secret.7z": sevenz([("data.txt", b"secret")], password="sluice"),
    "secret-headers.7z": sevenz([("data.txt", b"secret")], password="sluice", encrypt_headers=True),
    "secret.rar": rars([("data.txt", b"x" * 16)], password="sluice"),
    # Archives inside 7z and RAR, compressed and solid: each must be opened.
    "nested.7z": sevenz([("a-notes.txt", b"notes " * 2000), ("inner.zip", zipped([("evil.exe", b"MZ")])), ("z.txt", b"z")]),
    "nested5-solid.rar": rars([("a-notes.txt", b"notes " * 2000), ("inner.zip", zipped([("evil.exe", b"MZ")]))], solid=True),
    "nested4.rar": rars([("a-notes.txt", b"notes " * 2000), ("inner.7z", sevenz([("evil.cmd", b"@echo off")]))], fmt="rar29"),
    "nested-stored.rar": rars([("inner.tar.gz", targz([("x/run.ps1", b"Write-Host 1")]))], store=True),
    "secret-headers.rar": rars([("data.txt", b"secret")], password="sluice", encrypt_headers=True),
    # A decompression bomb: a zip holding a zip of 16 MiB of zeros, stored, so the
    # inner archive inflates ~1000:1 out of the outer one.
    "bomb.zip": deflated_zip([("inner.zip", stored_zip([("zeros.bin", bytes(16 << 20))]))]),
    # A tar.gz whose second member lies behind 40 MiB of zeros (~1000:1).
    # Solid archives whose inner archive lies behind 100 MiB of zeros: reaching it
    # means decoding them, past the message's budget.
    "bomb-solid.7z": sevenz([("a.bin", bytes(100 << 20)), ("inner.zip", zipped([("evil.exe", b"MZ")]))]),
    "bomb-solid.rar": rars([("a.bin", bytes(100 << 20)), ("inner.zip", zipped([("evil.exe", b"MZ")]))], solid=True),
    # An inner archive whose decoder asks for a 256 MiB dictionary.
    "big-dictionary.rar": rars([("inner.zip", zipped([("evil.exe", b"MZ")]) + bytes(4096))], dictionary="256m"),
    # Inner archives compressed with every method mail-borne archives use, and one
    # (Zstandard, method 93) that we have no decoder for.
    "methods.zip": zip_methods([("a.zip", zipped([("a.exe", b"MZ")]), zipfile.ZIP_BZIP2),
                                ("b.zip", zipped([("b.exe", b"MZ")]), zipfile.ZIP_LZMA)]),
    "zstd-inner.zip": zip_claiming_method([("inner.zip", zipped([("evil.exe", b"MZ")]))], 93),
    "ppmd.7z": sevenz([("inner.zip", zipped([("evil.exe", b"MZ")]) + b"padding " * 100)], method="PPMd"),
    "bzip2.7z": sevenz([("inner.zip", zipped([("evil.exe", b"MZ")]) + b"padding " * 100)], method="BZip2"),
    "bomb.tgz": gzip.compress(tar_of([("zeros.bin", bytes(40 << 20)), ("run.exe", b"MZ")]), 9, mtime=0),
}
for name, data in archives.items():
    write("attachments/archives", name, data)

ENCRYPTED_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                 b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
                 b"3 0 obj << /Filter /Standard /V 1 /R 2 /O (x) /U (y) /P -4 >> endobj\n"
                 b"trailer << /Root 1 0 R /Encrypt 3 0 R >>\n%%EOF\n")
PLAIN_PDF = ENCRYPTED_PDF.replace(b" /Encrypt 3 0 R", b"")


def with_attachment(expect, name, data, ctype="application/octet-stream"):
    return multipart(expect, "attachment " + name, [TEXT_PART, attachment(name, data, ctype)])

A = "block-list/filename-extension "
P = "block-list/password-protected-attachment "
write("attachments", "exe.eml", with_attachment(A + "invoice.exe", "invoice.exe", b"MZ\x90\x00"))
write("attachments", "double-extension.eml", with_attachment(A + "invoice.pdf.js", "invoice.pdf.js", b"alert(1)"))
write("attachments", "trailing-dot.eml", with_attachment(A + "run.scr.", "run.scr.", b"MZ"))
write("attachments", "pdf.eml", with_attachment("pass", "report.pdf", PLAIN_PDF, "application/pdf"))
write("attachments", "zip-with-exe.eml", with_attachment(A + "bundle.zip/tool.exe", "bundle.zip", archives["plain.zip"], "application/zip"))
write("attachments", "zip-renamed.eml", with_attachment(A + "photo.jpg/tool.exe", "photo.jpg", archives["plain.zip"], "image/jpeg"))
write("attachments", "nested-3-levels.eml", with_attachment(A + "nested.zip/level2.zip/level3.tar.gz/level3.tar/deep/run.vbs", "nested.zip", nested_zip, "application/zip"))
B = "spam/badly-formed archive cannot be inspected: "
write("attachments", "nested-4-levels.eml", with_attachment(B + "four-deep.zip/l2.zip/l3.zip/l4.zip (nested deeper than 3 archives)", "four-deep.zip", four_deep, "application/zip"))
write("attachments", "7z-nested-zip.eml", with_attachment(A + "nested.7z/inner.zip/evil.exe", "nested.7z", archives["nested.7z"], "application/x-7z-compressed"))
write("attachments", "rar5-solid-nested-zip.eml", with_attachment(A + "nested.rar/inner.zip/evil.exe", "nested.rar", archives["nested5-solid.rar"], "application/vnd.rar"))
write("attachments", "rar4-nested-7z.eml", with_attachment(A + "old.rar/inner.7z/evil.cmd", "old.rar", archives["nested4.rar"], "application/x-rar"))
write("attachments", "rar-stored-nested-tgz.eml", with_attachment(A + "pack.rar/inner.tar.gz/inner.tar/x/run.ps1", "pack.rar", archives["nested-stored.rar"], "application/vnd.rar"))
write("attachments", "zip-bomb.eml", with_attachment(B + "bomb.zip/inner.zip (inflates more than 200:1)", "bomb.zip", archives["bomb.zip"], "application/zip"))
write("attachments", "gzip-bomb.eml", with_attachment(B + "bomb.tgz/bomb.tar (inflates more than 200:1)", "bomb.tgz", archives["bomb.tgz"], "application/gzip"))
write("attachments", "7z-with-msi.eml", with_attachment(A + "files.7z/setup.msi", "files.7z", archives["files.7z"], "application/x-7z-compressed"))
write("attachments", "rar5-with-js.eml", with_attachment(A + "files.rar/script.js", "files.rar", archives["files.rar"], "application/vnd.rar"))
write("attachments", "rar4-with-vbs.eml", with_attachment(A + "old.rar/macro.vbs", "old.rar", archives["files4.rar"], "application/x-rar"))
write("attachments", "tgz-with-bat.eml", with_attachment(A + "files.tar.gz/files.tar/a/b.bat", "files.tar.gz", archives["files.tar.gz"], "application/gzip"))
write("attachments", "encrypted-zip-default.eml", with_attachment("pass", "secret.zip", archives["secret.zip"], "application/zip"))
write("attachments", "text-only.eml", text("pass", "no attachment", "hello\r\n"))

write("attachments/encrypted", "encrypted-zip.eml", with_attachment(P + "secret.zip/data.txt", "secret.zip", archives["secret.zip"], "application/zip"))
write("attachments/encrypted", "encrypted-7z.eml", with_attachment(P + "secret.7z/data.txt", "secret.7z", archives["secret.7z"], "application/x-7z-compressed"))
write("attachments/encrypted", "encrypted-7z-headers.eml", with_attachment(P + "secret-headers.7z", "secret-headers.7z", archives["secret-headers.7z"], "application/x-7z-compressed"))
write("attachments/encrypted", "encrypted-rar.eml", with_attachment(P + "secret.rar/data.txt", "secret.rar", archives["secret.rar"], "application/vnd.rar"))
write("attachments/encrypted", "encrypted-rar-headers.eml", with_attachment(P + "locked.rar", "locked.rar", archives["secret-headers.rar"], "application/vnd.rar"))
write("attachments/encrypted", "encrypted-pdf.eml", with_attachment(P + "locked.pdf", "locked.pdf", ENCRYPTED_PDF, "application/pdf"))
write("attachments/encrypted", "plain-pdf.eml", with_attachment("pass", "open.pdf", PLAIN_PDF, "application/pdf"))
write("attachments/encrypted", "plain-zip.eml", with_attachment("pass", "docs.zip", zipped([("a.txt", b"a")]), "application/zip"))
print("fixtures written under", ROOT)
