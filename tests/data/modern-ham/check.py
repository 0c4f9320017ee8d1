#!/usr/bin/env python3
"""Checks the modern-ham fixtures: python3 tests/data/modern-ham/check.py

Every .eml here must parse with email.parser and policy.default with no defect (in the
message, any part or any header), decode every leaf part, use CRLF line ends only, keep
lines within 998 octets and headers in ASCII.
"""
import glob
import os
import sys
from email import policy
from email.parser import BytesParser

HERE = os.path.dirname(os.path.abspath(__file__))


def problems(path):
    data = open(path, "rb").read()
    out = []
    if b"\n" in data.replace(b"\r\n", b""):
        out.append("bare LF")
    if b"\r" in data.replace(b"\r\n", b""):
        out.append("bare CR")
    if not data.endswith(b"\r\n"):
        out.append("no final CRLF")
    for n, line in enumerate(data.split(b"\r\n"), 1):
        if len(line) > 998:
            out.append(f"line {n} is {len(line)} octets")
    head = data.split(b"\r\n\r\n", 1)[0]
    if not head.isascii():
        out.append("8-bit header")
    msg = BytesParser(policy=policy.default).parsebytes(data)
    for part in msg.walk():
        for d in part.defects:
            out.append(f"{part.get_content_type()}: {type(d).__name__}: {d}")
        for name, value in part.items():
            for d in getattr(value, "defects", ()):
                out.append(f"header {name}: {type(d).__name__}: {d}")
        if not part.is_multipart():
            try:
                part.get_content()
            except Exception as e:  # noqa: BLE001
                out.append(f"{part.get_content_type()}: cannot decode: {e}")
    for name in ("From", "To", "Subject", "Date", "Message-ID"):
        if msg[name] is None:
            out.append(f"no {name}")
    if msg["Date"] is not None and msg["Date"].datetime.strftime("%Y-%m") != "2026-11":
        out.append("Date not in November 2026")
    return out


def main():
    files = sorted(glob.glob(os.path.join(HERE, "*.eml")))
    bad = 0
    for f in files:
        p = problems(f)
        if p:
            bad += 1
            print(os.path.basename(f))
            for x in p:
                print("   ", x)
    print(f"{len(files)} files, {bad} with problems")
    return 1 if bad or not files else 0


if __name__ == "__main__":
    sys.exit(main())
