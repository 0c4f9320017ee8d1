#!/usr/bin/env python3
"""Writes the modern-ham fixtures (see README.md).

Run from anywhere: python3 tests/data/modern-ham/make.py
Standard library only and deterministic: every date, Message-ID, boundary, signature
and attachment is fixed or derived from the file name, so a rerun rewrites the same
bytes. Every file is stored with CRLF line ends.
"""
import base64
import datetime as _dt
import hashlib
import os
import quopri
import zipfile
import io
from email.header import Header
from email.utils import formataddr, format_datetime

HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGES = []  # (file name, kind, bytes)
MX = "mx.example.net"

# ---------------------------------------------------------------- fixed randomness

def _stream(seed, n):
    out = b""
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        out += block
        block = hashlib.sha256(block + seed.encode()).digest()
    return out[:n]


def hexs(seed, n=16, upper=False):
    s = _stream(seed, (n + 1) // 2).hex()[:n]
    return s.upper() if upper else s


def b64s(seed, nbytes):
    return base64.b64encode(_stream(seed, nbytes)).decode()


def alnum(seed, n):
    abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(abc[b % 62] for b in _stream(seed, n))


def digits(seed, n):
    return "".join(str(b % 10) for b in _stream(seed, n))


def when(day, hh, mm, ss=0, tz=0):
    """A time in November 2026; tz in minutes east of UTC."""
    return _dt.datetime(2026, 11, day, hh, mm, ss,
                        tzinfo=_dt.timezone(_dt.timedelta(minutes=tz)))


def rfcdate(d):
    return format_datetime(d)


def utcdate(d, secs=0):
    u = (d + _dt.timedelta(seconds=secs)).astimezone(_dt.timezone.utc)
    return format_datetime(u).replace("-0000", "+0000") + " (UTC)"

# ---------------------------------------------------------------- header values

def addr(name, email, charset="utf-8"):
    if not name:
        return email
    return formataddr((name, email), charset=charset)


def enc(s, charset="utf-8"):
    try:
        s.encode("ascii")
        return s
    except UnicodeEncodeError:
        return Header(s, charset, maxlinelen=76, header_name="Subject").encode(linesep="\n")


def fold(items, sep=", "):
    """A header value of several items, one item a line."""
    return (sep.rstrip() + "\n ").join(items)

# ---------------------------------------------------------------- MIME parts

class Part:
    def __init__(self, headers, body):
        self.headers = headers  # list of (name, value)
        self.body = body        # str, lines end with \n

    def render(self):
        head = "".join(f"{k}: {v}\n" for k, v in self.headers)
        return head + "\n" + self.body


def _wrap64(data):
    s = base64.b64encode(data).decode()
    return "".join(s[i:i + 76] + "\n" for i in range(0, len(s), 76))


def text(body, subtype="plain", charset="utf-8", cte=None, flowed=False,
         extra=(), ctype_extra=""):
    if not body.endswith("\n"):
        body += "\n"
    raw = body.encode(charset)
    if cte is None:
        cte = "7bit" if raw.isascii() else "quoted-printable"
    if cte in ("7bit", "8bit"):
        payload = wrap_html(body) if subtype == "html" else body
    elif cte == "quoted-printable":
        payload = quopri.encodestring(raw).decode("ascii")
    elif cte == "base64":
        payload = _wrap64(body.replace("\n", "\r\n").encode(charset))
    else:
        raise ValueError(cte)
    ct = f"text/{subtype}; charset=\"{charset}\""
    if flowed:
        ct = f"text/{subtype}; charset={charset}; format=flowed"
    ct += ctype_extra
    return Part([("Content-Type", ct), ("Content-Transfer-Encoding", cte)] + list(extra),
                payload)


def attach(ctype, data, filename, disp="attachment", extra=(), name_param=True):
    ct = f"{ctype}; name=\"{filename}\"" if name_param else ctype
    return Part([("Content-Type", ct),
                 ("Content-Disposition", f"{disp}; filename=\"{filename}\""),
                 ("Content-Transfer-Encoding", "base64")] + list(extra),
                _wrap64(data))


BOUNDARY_STYLES = {
    "gmail": lambda s: "000000000000" + hexs(s, 16),
    "outlook": lambda s: "_000_" + alnum(s, 32) + "_",
    "java": lambda s: "----=_Part_" + digits(s, 7) + "_" + digits(s + "x", 9) + "." + digits(s + "y", 13),
    "apple": lambda s: "Apple-Mail=_" + "-".join([hexs(s, 8, True), hexs(s + "a", 4, True), hexs(s + "b", 4, True), hexs(s + "c", 4, True), hexs(s + "d", 12, True)]),
    "thunderbird": lambda s: "------------" + alnum(s, 24),
    "mc": lambda s: "_----------=_MCPart_" + digits(s, 9),
    "ses": lambda s: "----=_Part_" + digits(s, 6) + "_" + digits(s + "z", 10) + "." + digits(s + "q", 13),
    "py": lambda s: "===============" + digits(s, 19) + "==",
    "sg": lambda s: hexs(s, 64),
    "plain": lambda s: "b1_" + hexs(s, 32),
}


def multi(subtype, parts, seed, style="plain", extra=(), params=""):
    b = BOUNDARY_STYLES[style](seed + subtype)
    body = ""
    for p in parts:
        body += f"--{b}\n" + p.render()
    body += f"--{b}--\n"
    return Part([("Content-Type", f"multipart/{subtype}; boundary=\"{b}\"{params}")] + list(extra), body)

# ---------------------------------------------------------------- attachments

def tiny_pdf(lines, title):
    """A small valid PDF: one page, Helvetica, the given lines of text."""
    def esc(t):
        return t.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = "BT /F1 11 Tf 56 780 Td 14 TL\n" + "".join(f"({esc(l)}) '\n" for l in lines) + "ET\n"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}endstream",
        f"<< /Title ({esc(title)}) /Producer (make.py) /CreationDate (D:20261101000000Z) >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def tiny_docx(paragraphs):
    """A minimal WordprocessingML package (a zip), fixed timestamps."""
    def x(t):
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        + "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{x(p)}</w:t></w:r></w:p>" for p in paragraphs)
        + "</w:body></w:document>",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 1, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, content.encode("utf-8"))
    return buf.getvalue()


def ics(uid, summary, start, end, organizer, attendees, location="", description="",
        method="REQUEST", tzid=None, seq=0, prodid="-//make.py//modern-ham//EN"):
    """start/end: 'YYYYMMDDTHHMMSS' local (with tzid) or ending in Z."""
    def line(s):
        # fold at 75 octets
        out, cur = [], ""
        for ch in s:
            if len((cur + ch).encode()) > 74:
                out.append(cur)
                cur = " " + ch
            else:
                cur += ch
        out.append(cur)
        return "\n".join(out) + "\n"
    def escv(t):
        return t.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    dt = (lambda k, v: f"{k};TZID={tzid}:{v}") if tzid else (lambda k, v: f"{k}:{v}")
    s = "BEGIN:VCALENDAR\n" + line(f"PRODID:{prodid}") + "VERSION:2.0\nCALSCALE:GREGORIAN\n"
    if method:
        s += f"METHOD:{method}\n"
    if tzid == "Europe/Berlin" or tzid == "Europe/Amsterdam" or tzid == "Europe/Paris":
        s += (f"BEGIN:VTIMEZONE\nTZID:{tzid}\nBEGIN:STANDARD\nDTSTART:19701025T030000\n"
              "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n"
              "TZNAME:CET\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:19700329T020000\n"
              "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n"
              "TZNAME:CEST\nEND:DAYLIGHT\nEND:VTIMEZONE\n")
    elif tzid == "Europe/London":
        s += (f"BEGIN:VTIMEZONE\nTZID:{tzid}\nBEGIN:STANDARD\nDTSTART:19701025T020000\n"
              "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0000\n"
              "TZNAME:GMT\nEND:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:19700329T010000\n"
              "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nTZOFFSETFROM:+0000\nTZOFFSETTO:+0100\n"
              "TZNAME:BST\nEND:DAYLIGHT\nEND:VTIMEZONE\n")
    s += "BEGIN:VEVENT\n" + dt("DTSTART", start) + "\n" + dt("DTEND", end) + "\n"
    s += "DTSTAMP:20261101T090000Z\n" + line(f"ORGANIZER;CN={organizer[0]}:mailto:{organizer[1]}")
    s += line(f"UID:{uid}")
    for cn, mail in attendees:
        s += line(f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN={cn};X-NUM-GUESTS=0:mailto:{mail}")
    if description:
        s += line("DESCRIPTION:" + escv(description))
    if location:
        s += line("LOCATION:" + escv(location))
    s += f"SEQUENCE:{seq}\nSTATUS:CONFIRMED\n" + line("SUMMARY:" + escv(summary)) + "TRANSP:OPAQUE\n"
    s += "BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:Reminder\nTRIGGER:-P0DT0H15M0S\nEND:VALARM\n"
    s += "END:VEVENT\nEND:VCALENDAR\n"
    return s

# ---------------------------------------------------------------- trace and signatures

def dkim_sig(d, s, hdr_names, date, seed, c="relaxed/relaxed", extra=""):
    t = int(date.timestamp())
    sig = b64s(seed + d + "b", 256)
    bh = b64s(seed + d + "bh", 32)
    h = ":".join(hdr_names)
    # fold h= and b= the way signers do
    hl = []
    cur = ""
    for part in h.split(":"):
        nxt = (cur + ":" + part) if cur else part
        if len(nxt) > 60:
            hl.append(cur + ":")
            cur = part
        else:
            cur = nxt
    hl.append(cur)
    hfold = "\n\t ".join(hl)
    bl = [sig[i:i + 64] for i in range(0, len(sig), 64)]
    bfold = "\n\t ".join(bl)
    return (f"v=1; a=rsa-sha256; c={c}; d={d};\n\ts={s}; t={t};{extra}\n"
            f"\th={hfold};\n\tbh={bh};\n\tb={bfold}")


def received_mx(helo, rdns, ip, rcpt, date, secs, seed, tls=True):
    qid = alnum(seed + "qid", 12)
    tlsline = ("\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
               "\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)") if tls else ""
    return (f"from {helo} ({rdns} [{ip}]){tlsline}\n"
            f"\tby {MX} (Postfix) with {'ESMTPS' if tls else 'ESMTP'} id 4{qid[:2]}{qid[2:]}\n"
            f"\tfor <{rcpt}>; {utcdate(date, secs)}")


def auth_results(dkims, mailfrom, ip, from_dom, dmarc_policy="p=REJECT sp=REJECT dis=NONE",
                 arc=None, spf="pass"):
    parts = [MX]
    for d, s, seed in dkims:
        parts.append(f"dkim=pass (2048-bit key; unprotected) header.d={d} header.i=@{d} "
                     f"header.a=rsa-sha256 header.s={s} header.b={b64s(seed + d + 'b', 6)[:8]}")
    if arc:
        parts.append(f"arc=pass (i=1 spf=pass spfdomain={arc} dkim=pass dkdomain={from_dom} dmarc=pass fromdomain={from_dom})")
    mf_dom = mailfrom.split("@")[-1]
    parts.append(f"spf={spf} ({MX}: domain of {mailfrom} designates {ip} as permitted sender) smtp.mailfrom={mf_dom}")
    parts.append(f"dmarc=pass ({dmarc_policy}) header.from={from_dom}")
    return ";\n\t".join(parts)


def arc_set(d, s, date, seed, auth_text, hdr_names):
    t = int(date.timestamp())
    seal = b64s(seed + "arcseal", 256)
    ams = b64s(seed + "ams", 256)
    fold = lambda x: "\n\t ".join(x[i:i + 64] for i in range(0, len(x), 64))
    return [
        ("ARC-Seal", f"i=1; a=rsa-sha256; t={t}; cv=none;\n\td={d}; s={s};\n\tb={fold(seal)}"),
        ("ARC-Message-Signature", f"i=1; a=rsa-sha256; c=relaxed/relaxed; d={d};\n\ts={s}; t={t};\n\th={':'.join(hdr_names).lower()};\n\tbh={b64s(seed + 'arcbh', 32)};\n\tb={fold(ams)}"),
        ("ARC-Authentication-Results", f"i=1; {d.split('.')[-2]}.{d.split('.')[-1]};\n\t{auth_text}"),
    ]

# ---------------------------------------------------------------- a whole message

COUNTS = {}


def add(name, kind, *, frm, to, subject, date, msgid, body, mailfrom, ip, helo,
        rdns=None, dkim=(), inner=(), headers=(), arc=None, charset="utf-8",
        dmarc="p=REJECT sp=REJECT dis=NONE", lang="en", rcpt=None, from_dom=None,
        top=(), sign_extra=(), after=()):
    """name: file stem; kind: transactional|notification|newsletter|person.
    dkim: [(domain, selector)]. inner: extra Received values (sender side, newest first).
    headers: message headers after From/To/Subject/Date/Message-ID.
    after: headers after MIME-Version (vendor headers), before the body's own."""
    rcpt = rcpt or to.split("<")[-1].rstrip(">").split(",")[0].strip()
    from_dom = from_dom or frm.split("@")[-1].rstrip(">").strip()
    core = [("From", frm), ("To", to), ("Subject", enc(subject, charset)),
            ("Date", rfcdate(date)), ("Message-ID", msgid)] + list(headers)
    core += [("MIME-Version", "1.0")] + list(after)
    signed = [k for k, _ in core if k not in ("MIME-Version",)] + ["MIME-Version", "Content-Type"]
    seen = []
    for k in signed:
        if k not in seen and not k.startswith("X-"):
            seen.append(k)
    sender_side = []
    for i, r in enumerate(inner):
        sender_side.append(("Received", r.replace("{rcpt}", rcpt)))
    sigs = []
    for entry in dkim:
        d, s = entry[0], entry[1]
        names = [k for k in seen if k in entry[2]] if len(entry) > 2 else seen
        sigs.append(("DKIM-Signature", dkim_sig(d, s, names, date, name)))
    ar = auth_results([(e[0], e[1], name) for e in dkim], mailfrom, ip, from_dom, dmarc,
                      arc=mailfrom.split("@")[-1] if arc else None)
    trace = [("Return-Path", f"<{mailfrom}>"),
             ("Delivered-To", rcpt),
             ("Received", received_mx(helo, rdns or helo, ip, rcpt, date, 2 + len(name) % 7, name)),
             ("Authentication-Results", ar)]
    if arc:
        trace += arc_set(arc[0], arc[1], date, name, ar.split(";\n\t", 1)[1], seen)
    msg = trace + list(top) + sender_side + sigs + list(sign_extra) + core
    out = "".join((f"{k}: {v}\n" if v else f"{k}:\n") for k, v in msg) + body.render()
    data = out.encode(charset if charset != "utf-8" else "utf-8")
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    MESSAGES.append((name + ".eml", kind, data))
    COUNTS[kind] = COUNTS.get(kind, 0) + 1

# ---------------------------------------------------------------- HTML and text from blocks
import html as _html
import re
import textwrap

LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
BOLD = re.compile(r"\*\*([^*]+)\*\*")


def utm(url, source, campaign, medium="email", content=None):
    sep = "&" if "?" in url else "?"
    u = f"{url}{sep}utm_source={source}&utm_medium={medium}&utm_campaign={campaign}"
    return u + (f"&utm_content={content}" if content else "")


def inline_html(s, link_color="#0b57d0"):
    s = _html.escape(s, quote=False)
    s = LINK.sub(lambda m: f'<a href="{m.group(2).replace("&amp;", "&").replace("&", "&amp;")}" style="color:{link_color};text-decoration:underline;">{m.group(1)}</a>', s)
    s = BOLD.sub(r"<strong>\1</strong>", s)
    return s


def inline_text(s):
    s = LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} <{m.group(2)}>", s)
    return BOLD.sub(r"\1", s)


def blocks_html(blocks, st):
    """st: dict(font, color, accent, muted, link)."""
    f, c, a, mu, ln = st["font"], st.get("color", "#222222"), st["accent"], st.get("muted", "#6b6b6b"), st.get("link", st["accent"])
    out = []
    for b in blocks:
        t = b[0]
        if t == "h1":
            out.append(f'<tr><td style="padding:8px 0 12px 0;font-family:{f};font-size:24px;line-height:30px;font-weight:700;color:{c};">{inline_html(b[1], ln)}</td></tr>')
        elif t == "h2":
            out.append(f'<tr><td style="padding:18px 0 6px 0;font-family:{f};font-size:18px;line-height:24px;font-weight:700;color:{c};">{inline_html(b[1], ln)}</td></tr>')
        elif t == "p":
            out.append(f'<tr><td style="padding:0 0 14px 0;font-family:{f};font-size:15px;line-height:23px;color:{c};">{inline_html(b[1], ln)}</td></tr>')
        elif t == "small":
            out.append(f'<tr><td style="padding:0 0 10px 0;font-family:{f};font-size:12px;line-height:18px;color:{mu};">{inline_html(b[1], ln)}</td></tr>')
        elif t == "btn":
            out.append(f'<tr><td align="left" style="padding:6px 0 20px 0;"><table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>'
                       f'<td bgcolor="{a}" style="border-radius:6px;"><a href="{_html.escape(b[2])}" target="_blank" '
                       f'style="display:inline-block;padding:12px 22px;font-family:{f};font-size:15px;font-weight:600;color:#ffffff;text-decoration:none;border-radius:6px;">{_html.escape(b[1])}</a></td>'
                       f'</tr></table></td></tr>')
        elif t == "code":
            out.append(f'<tr><td align="center" style="padding:10px 0 20px 0;font-family:Menlo,Consolas,monospace;font-size:32px;letter-spacing:6px;font-weight:700;color:{c};">{_html.escape(b[1])}</td></tr>')
        elif t == "kv":
            rows = "".join(f'<tr><td style="padding:4px 12px 4px 0;font-family:{f};font-size:14px;color:{mu};vertical-align:top;">{_html.escape(k)}</td>'
                           f'<td style="padding:4px 0;font-family:{f};font-size:14px;color:{c};font-weight:600;">{inline_html(v, ln)}</td></tr>' for k, v in b[1])
            out.append(f'<tr><td style="padding:0 0 16px 0;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">{rows}</table></td></tr>')
        elif t == "items":
            rows = "".join(f'<tr><td style="padding:10px 0;border-bottom:1px solid #e6e6e6;font-family:{f};font-size:14px;color:{c};">{_html.escape(d)}'
                           f'<br><span style="color:{mu};font-size:12px;">Qty: {q}</span></td>'
                           f'<td align="right" style="padding:10px 0;border-bottom:1px solid #e6e6e6;font-family:{f};font-size:14px;color:{c};white-space:nowrap;">{_html.escape(p)}</td></tr>' for d, q, p in b[1])
            tot = "".join(f'<tr><td style="padding:6px 0;font-family:{f};font-size:14px;color:{mu};">{_html.escape(k)}</td>'
                          f'<td align="right" style="padding:6px 0;font-family:{f};font-size:14px;color:{c};font-weight:700;">{_html.escape(v)}</td></tr>' for k, v in b[2])
            out.append(f'<tr><td style="padding:0 0 18px 0;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">{rows}{tot}</table></td></tr>')
        elif t == "list":
            lis = "".join(f'<li style="margin:0 0 6px 0;">{inline_html(x, ln)}</li>' for x in b[1])
            out.append(f'<tr><td style="padding:0 0 14px 0;font-family:{f};font-size:15px;line-height:22px;color:{c};"><ul style="margin:0;padding:0 0 0 20px;">{lis}</ul></td></tr>')
        elif t == "hr":
            out.append('<tr><td style="padding:8px 0 16px 0;"><div style="border-top:1px solid #e3e3e3;font-size:1px;line-height:1px;">&nbsp;</div></td></tr>')
        elif t == "img":
            out.append(f'<tr><td style="padding:0 0 16px 0;"><img src="{_html.escape(b[1])}" alt="{_html.escape(b[2])}" width="{b[3]}" style="display:block;width:100%;max-width:{b[3]}px;height:auto;border:0;"></td></tr>')
        elif t == "quote":
            out.append(f'<tr><td style="padding:10px 14px;margin:0 0 14px 0;background:#f6f8fa;border-left:3px solid {a};font-family:{f};font-size:14px;line-height:21px;color:{c};">{inline_html(b[1], ln)}</td></tr>'
                       '<tr><td style="height:14px;font-size:1px;line-height:1px;">&nbsp;</td></tr>')
        else:
            raise ValueError(t)
    return "\n".join(out)


def blocks_text(blocks, width=72):
    out = []
    w = lambda s, ind="": textwrap.fill(inline_text(s), width, initial_indent=ind, subsequent_indent=" " * len(ind),
                                     break_long_words=False, break_on_hyphens=False)
    for b in blocks:
        t = b[0]
        if t == "h1":
            s = inline_text(b[1])
            out.append(s + "\n" + "=" * min(len(s), width))
        elif t == "h2":
            s = inline_text(b[1])
            out.append(s + "\n" + "-" * min(len(s), width))
        elif t in ("p", "small"):
            out.append(w(b[1]))
        elif t == "btn":
            out.append(f"{b[1]}:\n{b[2]}")
        elif t == "code":
            out.append("    " + b[1])
        elif t == "kv":
            k = max(len(x) for x, _ in b[1])
            out.append("\n".join(f"{x + ':':<{k + 2}}{inline_text(v)}" for x, v in b[1]))
        elif t == "items":
            rows = [f"{d}\n  Qty: {q}{p:>{max(8, width - 7 - len(str(q)))}}" for d, q, p in b[1]]
            tot = [f"{k}{v:>{width - len(k)}}" for k, v in b[2]]
            out.append("\n".join(rows) + "\n" + "-" * width + "\n" + "\n".join(tot))
        elif t == "list":
            out.append("\n".join(w(x, "* ") for x in b[1]))
        elif t == "hr":
            out.append("-" * width)
        elif t == "img":
            continue
        elif t == "quote":
            out.append("\n".join("> " + l for l in textwrap.wrap(inline_text(b[1]), width - 2)))
    return "\n\n".join(out) + "\n"


def wrap_html(s, width=180):
    """Keeps HTML lines short by breaking after '>' (for 7bit/8bit parts)."""
    out = []
    for line in s.split("\n"):
        while len(line) > width:
            cut = line.rfind(">", 0, width)
            if cut < 20:
                cut = line.find(" ", width // 2)
                if cut < 0:
                    break
            out.append(line[:cut + 1])
            line = line[cut + 1:]
        out.append(line)
    return "\n".join(out)


def page(title, pre, inner, *, bg="#f4f4f4", width=600, head_css="", lang="en", pixel=None):
    """The outer document every bulk HTML mail here shares, as ESPs' templates do."""
    pix = (f'\n<img src="{_html.escape(pixel)}" width="1" height="1" alt="" '
           'style="display:block;width:1px;height:1px;border:0;">') if pixel else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>{_html.escape(title)}</title>
<style type="text/css">
body {{ margin:0; padding:0; -webkit-text-size-adjust:100%; }}
table, td {{ border-collapse:collapse; }}
img {{ border:0; outline:none; text-decoration:none; }}
@media only screen and (max-width:620px) {{ .container {{ width:100% !important; }} .px {{ padding-left:16px !important; padding-right:16px !important; }} }}
{head_css}</style>
</head>
<body style="margin:0;padding:0;background-color:{bg};">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">{_html.escape(pre)}&#8199;&#65279;&#847;&#8199;&#65279;&#847;&#8199;&#65279;&#847;</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="{bg}">
<tr><td align="center" style="padding:24px 8px;">
<table role="presentation" class="container" width="{width}" cellpadding="0" cellspacing="0" border="0" style="width:{width}px;max-width:{width}px;">
{inner}
</table>
</td></tr>
</table>{pix}
</body>
</html>
"""


def shop(brand, st, pre, blocks, footer, *, logo, pixel, header_bg=None, lang="en", title=None):
    f = st["font"]
    hb = header_bg or "#ffffff"
    inner = (f'<tr><td bgcolor="{hb}" style="padding:18px 32px;" class="px"><img src="{_html.escape(logo)}" alt="{_html.escape(brand)}" height="28" style="display:block;height:28px;border:0;"></td></tr>\n'
             f'<tr><td bgcolor="#ffffff" style="padding:28px 32px 12px 32px;" class="px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">\n'
             + blocks_html(blocks, st) +
             '\n</table></td></tr>\n'
             f'<tr><td style="padding:20px 32px;font-family:{f};font-size:12px;line-height:18px;color:#8a8a8a;" class="px">{footer}</td></tr>')
    return page(title or brand, pre, inner, lang=lang, pixel=pixel, bg=st.get("bg", "#f4f4f4"))


def card(brand, st, pre, blocks, footer, *, pixel=None, lang="en", title=None):
    f = st["font"]
    inner = (f'<tr><td style="padding:0 0 16px 0;font-family:{f};font-size:20px;font-weight:700;color:{st["accent"]};">{_html.escape(brand)}</td></tr>\n'
             f'<tr><td bgcolor="#ffffff" style="padding:32px;border:1px solid #e2e2e2;border-radius:8px;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">\n'
             + blocks_html(blocks, st) +
             '\n</table></td></tr>\n'
             f'<tr><td align="center" style="padding:18px 12px;font-family:{f};font-size:12px;line-height:18px;color:#8a8a8a;">{footer}</td></tr>')
    return page(title or brand, pre, inner, lang=lang, pixel=pixel, bg=st.get("bg", "#f6f6f6"), width=520)


def news(brand, st, sections, footer, *, pixel, masthead, pre, lang="en", title=None):
    """sections: list of block lists, each shown as a white box."""
    f = st["font"]
    inner = (f'<tr><td align="center" style="padding:6px 0 18px 0;font-family:Georgia,\'Times New Roman\',serif;font-size:30px;font-weight:700;color:{st.get("color", "#111111")};">{masthead}</td></tr>\n')
    for sec in sections:
        inner += (f'<tr><td bgcolor="#ffffff" style="padding:24px 30px 10px 30px;border-top:4px solid {st["accent"]};" class="px"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">\n'
                  + blocks_html(sec, st) + '\n</table></td></tr>\n<tr><td style="height:14px;font-size:1px;line-height:1px;">&nbsp;</td></tr>\n')
    inner += f'<tr><td align="center" style="padding:10px 24px 24px 24px;font-family:{f};font-size:12px;line-height:18px;color:#777777;">{footer}</td></tr>'
    return page(title or brand, pre, inner, lang=lang, pixel=pixel, bg=st.get("bg", "#eeeeee"), width=640)


def alt(txt, htm, seed, style="plain", text_cte=None, html_cte="quoted-printable", charset="utf-8"):
    if html_cte in ("7bit", "8bit"):
        htm = wrap_html(htm)
    return multi("alternative", [text(txt, charset=charset, cte=text_cte),
                                 text(htm, "html", charset=charset, cte=html_cte)], seed, style)


SANS = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
ARIAL = "Arial,Helvetica,sans-serif"


def foot(lines, color="#8a8a8a"):
    return "<br>\n".join(inline_html(l, color) for l in lines)


def foot_text(lines, width=72):
    return "\n".join(textwrap.fill(inline_text(l), width, break_long_words=False, break_on_hyphens=False) for l in lines) + "\n"


def unsub(url, mailto=None, post=True):
    v = (f"<mailto:{mailto}>, <{url}>" if mailto else f"<{url}>")
    h = [("List-Unsubscribe", v)]
    if post:
        h.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return h


def who(key):
    n, a = PEOPLE[key]
    return addr(n, a)


PEOPLE = {
    "anna": ("Anna Berg", "anna.berg@example.net"),
    "jo": ("Joseph Okafor", "j.okafor@example.net"),
    "lena": ("Lena Hoffmann", "lena.hoffmann@example.net"),
    "tom": ("Tomasz Nowak", "tomasz.nowak@example.net"),
    "marie": ("Marie Dubois", "marie.dubois@example.net"),
    "sam": ("Sam Whitfield", "sam@example.net"),
    "priya": ("Priya Raman", "priya.raman@example.net"),
    "lucas": ("Lucas van Dijk", "lucas.vandijk@example.net"),
    "carmen": ("Carmen Ruiz", "carmen.ruiz@example.net"),
    "giulia": ("Giulia Conti", "giulia.conti@example.net"),
    "sales": ("", "sales@example.net"),
    "accounts": ("", "accounts@example.net"),
}


def gmail(seed, date, octet=None):
    """Trace of a message sent from a personal Gmail account."""
    o = octet or (40 + int(hexs(seed, 2), 16) % 60)
    host = f"mail-{['wr1', 'ej1', 'lf1', 'pj1', 'qv1'][o % 5]}-f{o}.google.com"
    ip = f"209.85.{[221, 218, 167, 216, 219][o % 5]}.{o}"
    t = int(date.timestamp())
    inner = [f"by {host} with SMTP id {hexs(seed, 10)}-{hexs(seed + 'i', 8)}-{hexs(seed + 'j', 4)}\n"
             f"        for <{{rcpt}}>; {format_datetime(date)}"]
    extra = [
        ("X-Google-DKIM-Signature", dkim_sig("1e100.net", "20230601", ["x-gm-message-state", "from", "to", "subject", "date", "message-id", "mime-version"], date, seed + "x")),
        ("X-Gm-Message-State", b64s(seed + "gms", 66)),
        ("X-Google-Smtp-Source", "AGHT+I" + b64s(seed + "src", 64).rstrip("=")),
        ("X-Received", f"by 2002:a05:6000:{hexs(seed, 4)}:b0:{hexs(seed + 'r', 3)}:{hexs(seed + 's', 4)} with SMTP id "
                       f"{hexs(seed + 'a', 16)}mr{digits(seed, 7)}wrb.{digits(seed + 'b', 3)}.{int(date.timestamp())}{digits(seed, 6)};\n"
                       f"        {format_datetime(date)}"),
    ]
    return dict(ip=ip, helo=host, dkim=[("gmail.com", "20230601")], inner=inner, sign_extra=extra,
                dmarc="p=NONE sp=QUARANTINE dis=NONE")


def gmid(seed):
    return "<CA" + alnum(seed, 40).replace("=", "") + "@mail.gmail.com>"

# ================================================================ transactional

def t01_amazon():
    d = when(17, 8, 14, 3)
    oid = "302-4418275-9013357"
    st = dict(font=ARIAL, accent="#ff9900", link="#007185", color="#0f1111", muted="#565959")
    url = f"https://www.amazon.co.uk/gp/css/order-details?orderID={oid}&ref_=pe_27063361_485629781_TE_dp_1"
    blocks = [
        ("h1", "Ordered: \"Anker Nano USB-C Charger 30W...\" and 2 more items"),
        ("p", f"Hello Anna, thanks for your order. We'll let you know once your items have dispatched. Your estimated delivery date is below. You can track the status of this order and make changes from [Your Orders]({url})."),
        ("kv", [("Arriving", "Thursday 19 November"), ("Ship to", "Anna Berg, LONDON, N16 8JH"), ("Order #", oid)]),
        ("btn", "View or manage order", url),
        ("items", [("Anker Nano Charger 30W, USB-C, Foldable Plug, White", 1, "£19.99"),
                   ("Moleskine Classic Notebook, Large, Ruled, Black", 2, "£31.98"),
                   ("AmazonBasics AA Rechargeable Batteries (8-Pack)", 1, "£13.49")],
         [("Item subtotal", "£65.46"), ("Postage & Packing", "£0.00"), ("Order total", "£65.46")]),
        ("small", "Order totals include VAT. Applicable VAT invoices are available to download from Your Orders."),
    ]
    footer = ["©2026 Amazon.com, Inc. or its affiliates. Amazon and all related marks are trademarks of Amazon.com, Inc. or its affiliates.",
              "Amazon EU S.à r.l., 38 Avenue John F. Kennedy, L-1855 Luxembourg.",
              "This email was sent from a notification-only address that cannot accept incoming email. Please do not reply to this message."]
    htm = shop("Amazon.co.uk", st, "Your order of 3 items has been placed", blocks, foot(footer),
               logo="https://m.media-amazon.com/images/G/02/x-locale/common/logo-email._CB485952412_.png",
               pixel=f"https://www.amazon.co.uk/gp/r.html?C=2MB9QTJOSX1RE&M=urn:rtn:msg:20261117081403a6f1&R=3CHM9V0CN4D3O&T=O&U=https%3A%2F%2Fimages-eu.ssl-images-amazon.com%2Fimages%2FG%2F01%2Fnav%2Ftransp.gif&H=ZKPJXLAXIK5AUU", header_bg="#232f3e")
    txt = blocks_text(blocks) + "\n" + foot_text(footer)
    mid = f"<0100019{hexs('t01', 9)}-{hexs('t01a', 8)}-{hexs('t01b', 4)}-{hexs('t01c', 4)}-{hexs('t01d', 4)}-{hexs('t01e', 12)}-000000@email.amazonses.com>"
    add("t01-amazon-order-confirmation", "transactional", frm=addr("Amazon.co.uk", "auto-confirm@amazon.co.uk"),
        to=who("anna"), subject="Your Amazon.co.uk order #302-4418275-9013357", date=d, msgid=mid,
        body=alt(txt, htm, "t01", "ses"), mailfrom=f"202611170814035f0b3e3a6b1b4e8fa7c1a8e0c3d9-anna.berg=example.net@bounces.amazon.co.uk",
        ip="54.240.4.27", helo="a4-27.smtp-out.eu-west-1.amazonses.com",
        dkim=[("amazon.co.uk", "yfw7lqsp4xt4opdqsc6fa2eqxg5ngtq7"), ("amazonses.com", "shh3fegwg5fppqsuzphvschd53n6ihuv")],
        inner=[f"from eu-west-1.amazonses.com by email-smtp.eu-west-1.amazonses.com with SMTP id 0100019{hexs('t01', 9)}; {rfcdate(d)}"],
        headers=[("Reply-To", "no-reply@amazon.co.uk")],
        after=[("X-AMAZON-MAIL-RELAY-TYPE", "notification"), ("Bounces-to", "202611170814035f0b3e3a6b1b4e8fa7c1a8e0c3d9-anna.berg=example.net@bounces.amazon.co.uk"),
               ("X-AMAZON-RTE-VERSION", "2.0"), ("X-AMAZON-METADATA", "CA=C2N7O4WVJJ4DSV-CU=A3RXU6M5KKHQ7V"),
               ("Feedback-ID", "1.eu-west-1.3x6nDEQ8U3sfyC9k5WIFGqchXiQ3yqNbDpL8tIXqQl0=:AmazonSES"),
               ("X-SES-Outgoing", "2026.11.17-54.240.4.27")])


def t02_dhl():
    d = when(18, 10, 2, 41, 60)
    track = "00340434161094022115"
    st = dict(font=ARIAL, accent="#d40511", color="#333333", link="#d40511")
    url = f"https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={track}"
    blocks = [
        ("h1", "Ihr Paket kommt heute"),
        ("p", "Hallo Lena Hoffmann,"),
        ("p", "Ihr DHL Paket von **Manufactum GmbH** wird heute voraussichtlich zwischen **13:15 und 15:15 Uhr** zugestellt."),
        ("kv", [("Sendungsnummer", track), ("Absender", "Manufactum GmbH"), ("Zustellung", "Mittwoch, 18.11.2026")]),
        ("btn", "Sendung verfolgen", url),
        ("h2", "Nicht zu Hause?"),
        ("p", f"Sie können Ihre Zustellung noch ändern: Lassen Sie das Paket bei einem Nachbarn, an einem Ablageort oder in einer Filiale abgeben. [Zustellung ändern](https://www.dhl.de/de/privatkunden/pakete-empfangen/zustelloptionen.html?piececode={track})"),
        ("small", "Bitte beachten Sie: Die Zustellzeit ist eine Prognose und kann sich im Tagesverlauf ändern."),
    ]
    footer = ["Deutsche Post AG, Charles-de-Gaulle-Straße 20, 53113 Bonn",
              "Vorstand: Dr. Tobias Meyer (Vorsitzender) · Registergericht Bonn HRB 6792",
              "Diese E-Mail wurde automatisch erstellt. Bitte antworten Sie nicht auf diese E-Mail.",
              "[Datenschutz](https://www.dhl.de/de/toolbar/footer/datenschutz.html) · [Benachrichtigungen verwalten](https://www.dhl.de/de/privatkunden/kundenkonto/benachrichtigungen.html)"]
    htm = shop("DHL", st, "Zustellung heute zwischen 13:15 und 15:15 Uhr", blocks, foot(footer), logo="https://www.dhl.de/content/dam/images/email/dhl-logo-email.png",
               pixel=f"https://nl.dhl.de/o/{alnum('t02p', 22)}.gif", header_bg="#ffcc00", lang="de")
    txt = blocks_text(blocks) + "\n" + foot_text(footer)
    add("t02-dhl-zustellung-heute-de", "transactional", frm=addr("DHL Paket", "noreply@dhl.de"), to=who("lena"),
        subject="Ihr DHL Paket kommt heute zwischen 13:15 und 15:15 Uhr", date=d, msgid=f"<{digits('t02', 13)}.{digits('t02a', 6)}.JavaMail.sendung@dhl.de>",
        body=alt(txt, htm, "t02", "java"), mailfrom="bounce-sv@mail.dhl.de", ip="194.25.134.17", helo="mailout17.dhl.de",
        dkim=[("dhl.de", "dhl2025")], lang="de", from_dom="dhl.de",
        inner=[f"from sv-app04.dpdhl.local (unknown [10.172.4.18])\n\tby mailout17.dhl.de (Postfix) with ESMTP id {alnum('t02q', 11)}\n\tfor <lena.hoffmann@example.net>; {rfcdate(d)}"],
        after=[("X-Mailer", "DHL Sendungsverfolgung 4.2"), ("Auto-Submitted", "auto-generated")])


def t03_stripe_receipt():
    d = when(3, 14, 22, 9)
    st = dict(font=SANS, accent="#635bff", color="#414552", muted="#687385", bg="#f6f9fc")
    rnum = "1987-4410"
    blocks = [
        ("h1", "Receipt from Plausible Insights OÜ"),
        ("kv", [("Amount paid", "€19.00"), ("Date paid", "Nov 3, 2026"), ("Payment method", "Visa – 4242")]),
        ("h2", "Summary"),
        ("items", [("Growth plan · 10k monthly pageviews (Nov 3 – Dec 3, 2026)", 1, "€19.00")],
         [("Subtotal", "€19.00"), ("VAT reverse charge", "€0.00"), ("Amount paid", "€19.00")]),
        ("p", "If you have any questions, contact us at [hello@plausible.io](mailto:hello@plausible.io)."),
        ("btn", "Download invoice", "https://invoice.stripe.com/i/acct_1Hx7AbCdEfGhIjKl/live_YWNjdF8xSHg3QWJDZEVmR2hJaktsLF9SZmF6"),
        ("small", f"Receipt #{rnum} · Invoice #PLAUS-0042-0187"),
    ]
    footer = ["Something wrong with the email? [View it in your browser](https://invoice.stripe.com/i/acct_1Hx7AbCdEfGhIjKl/live_YWNjdF8xSHg3QWJDZEVmR2hJaktsLF9SZmF6).",
              "You're receiving this email because you made a purchase at Plausible Insights OÜ, which partners with [Stripe](https://stripe.com) to provide invoicing and payment processing."]
    htm = card("Plausible Analytics", st, "Receipt from Plausible Insights OÜ €19.00 Paid Nov 3, 2026", blocks, foot(footer),
               pixel=f"https://59.email.stripe.com/CI0/{alnum('t03p', 40)}/2/{alnum('t03q', 30)}")
    add("t03-stripe-saas-receipt", "transactional", frm=addr("Plausible Insights OÜ", "invoice+statements+acct_1Hx7AbCdEfGhIjKl@stripe.com"),
        to=who("accounts"), subject="Your receipt from Plausible Insights OÜ #1987-4410", date=d,
        msgid=f"<{hexs('t03', 32)}@email.stripe.com>", body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t03", "sg", html_cte="base64"),
        mailfrom="bounces+5241897-9c2a-accounts=example.net@mail.stripe.com", ip="198.2.190.51", helo="o51.email.stripe.com",
        dkim=[("stripe.com", "s1"), ("sendgrid.info", "smtpapi")], from_dom="stripe.com",
        inner=[f"by filterdrecv-6d8b5f7b9-l7q2x with SMTP id filterdrecv-6d8b5f7b9-l7q2x-1-{hexs('t03f', 8).upper()}-1A\n\t2026-11-03 14:22:09.812375541 +0000 UTC m=+4177391.221847106"],
        headers=[("Reply-To", "hello@plausible.io")],
        after=[("X-SG-EID", b64s("t03sg", 90)), ("X-Entity-ID", alnum("t03e", 22))])


def t04_hetzner_invoice():
    d = when(2, 5, 31, 44, 60)
    inv = "R0024338812"
    txt = f"""Dear Anna Berg,

Please find attached your invoice {inv} for November 2026.

The total of EUR 46.41 will be collected from your bank account
(SEPA direct debit, mandate reference HZ-88192310) on or after
6 November 2026.

Invoice number:   {inv}
Customer number:  K0918273650
Invoice date:     02/11/2026
Total (gross):    EUR 46.41

You can also view and download all of your invoices at any time on the
Hetzner Console: https://console.hetzner.com/projects/billing/invoices

Kind regards

Your Hetzner Online Team

--
Hetzner Online GmbH
Industriestr. 25
91710 Gunzenhausen
Germany
Tel: +49 9831 505-0
E-Mail: info@hetzner.com
Register court: Registergericht Ansbach, HRB 6089
CEO: Martin Hetzner, Stephan Konvickova, Günther Müller

For the purposes of this communication, we may save some
of your personal data. For information on our data privacy
policy, please see our Terms of Use.
"""
    pdf = tiny_pdf(["Hetzner Online GmbH - Industriestr. 25 - 91710 Gunzenhausen", "",
                    f"Invoice {inv}", "Customer number K0918273650", "Invoice date 02/11/2026", "",
                    "CPX31 server 'build-01' (01/11/2026 - 30/11/2026)      14.86 EUR",
                    "CPX21 server 'web-02' (01/11/2026 - 30/11/2026)        8.46 EUR",
                    "Storage Box BX11                                        3.81 EUR",
                    "Primary IPv4 x2                                         1.20 EUR",
                    "Backups                                                 1.00 EUR",
                    "Load balancer LB11                                     5.39 EUR",
                    "Volumes 100 GB                                          4.29 EUR",
                    "", "Net 39.00 EUR   VAT 19% 7.41 EUR   Total 46.41 EUR"], f"Invoice {inv}")
    body = multi("mixed", [text(txt, cte="quoted-printable"), attach("application/pdf", pdf, f"Hetzner_2026-11-02_{inv}.pdf")], "t04", "py")
    add("t04-hetzner-invoice-pdf", "transactional", frm=addr("Hetzner Online GmbH", "billing@hetzner.com"), to=who("anna"),
        subject=f"Hetzner Online GmbH - Invoice {inv}", date=d, msgid=f"<{hexs('t04', 24)}.{digits('t04', 10)}@hetzner.com>",
        body=body, mailfrom="billing@hetzner.com", ip="213.133.104.63", helo="mail.hetzner.company", rdns="mail.hetzner.company",
        dkim=[("hetzner.com", "dkim2024")], from_dom="hetzner.com",
        inner=[f"from [10.0.5.32] (helo=billing-mailer-2)\n\tby mail.hetzner.company with esmtpsa (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\t(Exim 4.96.2)\n\t(envelope-from <billing@hetzner.com>)\n\tid 1tHx2a-000K3b-0Q\n\tfor anna.berg@example.net;\n\t{rfcdate(d)}"])


def t05_dropbox_reset():
    d = when(21, 23, 47, 12, -300)
    st = dict(font=SANS, accent="#0061fe", color="#1e1919", muted="#736c64", bg="#ffffff")
    link = f"https://www.dropbox.com/password_reset?token={alnum('t05t', 43)}"
    blocks = [
        ("p", "Hi Sam,"),
        ("p", "Someone recently requested a password change for your Dropbox account. If this was you, you can set a new password here:"),
        ("btn", "Reset password", link),
        ("p", "If you don't want to change your password or didn't request this, just ignore and delete this message."),
        ("p", "To keep your account secure, please don't forward this email to anyone. See our Help Center for [more security tips](https://help.dropbox.com/account-access/account-security)."),
        ("p", "Happy Dropboxing!"),
    ]
    footer = ["© 2026 Dropbox, Inc. · 1800 Owens St, San Francisco, CA 94158"]
    htm = card("Dropbox", st, "Reset your Dropbox password", blocks, foot(footer))
    add("t05-dropbox-password-reset", "transactional", frm=addr("Dropbox", "no-reply@dropbox.com"), to=who("sam"),
        subject="Reset your Dropbox password", date=d, msgid=f"<{hexs('t05', 20)}.{digits('t05', 9)}@mail.dropbox.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t05", "py", html_cte="base64"),
        mailfrom="bounces+2411735-0c7e-sam=example.net@em-s.dropbox.com", ip="168.245.3.14", helo="o3.em-s.dropbox.com",
        dkim=[("dropbox.com", "s2048")], from_dom="dropbox.com",
        after=[("X-Dropbox-Mail-Type", "password_reset"), ("X-SG-EID", b64s("t05sg", 84))])


def t06_microsoft_code():
    d = when(9, 7, 3, 55)
    code = "482913"
    txt = f"""Microsoft account

Security code

Please use the following security code for the Microsoft account
pr***@example.net.

Security code: {code}

If you don't recognize the Microsoft account pr***@example.net, you can
click https://account.live.com/dp?token={alnum('t06d', 40)} to remove
your email address from that account.

Thanks,
The Microsoft account team
"""
    htm = f"""<html dir="ltr"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style type="text/css">
 .link:link, .link:active, .link:visited {{ color:#2672ec !important; text-decoration:none !important; }}
 .link:hover {{ color:#4284ee !important; text-decoration:none !important; }}
</style>
<title></title>
</head>
<body>
<table dir="ltr">
<tr><td id="i1" style="padding:0; font-family:'Segoe UI Semibold', 'Segoe UI Bold', 'Segoe UI', 'Helvetica Neue Medium', Arial, sans-serif; font-size:17px; color:#707070;">Microsoft account</td></tr>
<tr><td id="i2" style="padding:0; font-family:'Segoe UI Light', 'Segoe UI', 'Helvetica Neue Medium', Arial, sans-serif; font-size:41px; color:#2672ec;">Security code</td></tr>
<tr><td id="i3" style="padding:0; padding-top:25px; font-family:'Segoe UI', Tahoma, Verdana, Arial, sans-serif; font-size:14px; color:#2a2a2a;">Please use the following security code for the Microsoft account <a dir="ltr" id="iAccount" class="link" style="color:#2672ec; text-decoration:none" href="mailto:pr***@example.net">pr***@example.net</a>.</td></tr>
<tr><td id="i4" style="padding:0; padding-top:25px; font-family:'Segoe UI', Tahoma, Verdana, Arial, sans-serif; font-size:14px; color:#2a2a2a;">Security code: <span style="font-family:'Segoe UI Bold', 'Segoe UI Semibold', 'Segoe UI', 'Helvetica Neue Medium', Arial, sans-serif; font-size:14px; font-weight:bold; color:#2a2a2a;">{code}</span></td></tr>
<tr><td id="i5" style="padding:0; padding-top:25px; font-family:'Segoe UI', Tahoma, Verdana, Arial, sans-serif; font-size:14px; color:#2a2a2a;">If you don't recognize the Microsoft account <a dir="ltr" class="link" style="color:#2672ec; text-decoration:none" href="mailto:pr***@example.net">pr***@example.net</a>, you can <a id="iLink2" class="link" style="color:#2672ec; text-decoration:none" href="https://account.live.com/dp?token={alnum('t06d', 40)}">click here</a> to remove your email address from that account.</td></tr>
<tr><td id="i6" style="padding:0; padding-top:25px; font-family:'Segoe UI', Tahoma, Verdana, Arial, sans-serif; font-size:14px; color:#2a2a2a;">Thanks,</td></tr>
<tr><td id="i7" style="padding:0; font-family:'Segoe UI', Tahoma, Verdana, Arial, sans-serif; font-size:14px; color:#2a2a2a;">The Microsoft account team</td></tr>
</table>
</body>
</html>
"""
    add("t06-microsoft-security-code", "transactional", frm=addr("Microsoft account team", "account-security-noreply@accountprotection.microsoft.com"),
        to=addr("", "priya.raman@example.net"), subject="Microsoft account security code", date=d,
        msgid=f"<{alnum('t06', 20)}@BL02EPF0001A0F8.namprd21.prod.outlook.com>",
        body=alt(txt, htm, "t06", "outlook", html_cte="quoted-printable"),
        mailfrom="account-security-noreply@accountprotection.microsoft.com", ip="40.92.19.64", helo="BN1PR04CU002.outbound.protection.outlook.com",
        rdns="mail-centralusazon11020064.outbound.protection.outlook.com",
        dkim=[("accountprotection.microsoft.com", "selector1")], arc=("microsoft.com", "arcselector10001"),
        inner=[f"from BL02EPF0001A0F8.namprd21.prod.outlook.com (2603:10b6:208:3ba::15) by\n SA1PR21MB1318.namprd21.prod.outlook.com (2603:10b6:806:1f3::7) with\n Microsoft SMTP Server (version=TLS1_2,\n cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8722.4; {rfcdate(d)}"],
        after=[("X-MS-PublicTrafficType", "Email"), ("X-MS-TrafficTypeDiagnostic", "BL02EPF0001A0F8:EE_|SA1PR21MB1318:EE_"),
               ("X-MS-Exchange-CrossTenant-OriginalArrivalTime", "09 Nov 2026 07:03:55.4211 (UTC)")])


def t07_google_signin():
    d = when(12, 19, 40, 2)
    st = dict(font="'Google Sans',Roboto,Arial,sans-serif", accent="#1a73e8", color="#3c4043", muted="#5f6368", bg="#ffffff")
    blocks = [
        ("h1", "A new sign-in on Mac"),
        ("p", "joseph.okafor.work@gmail.com"),
        ("hr",),
        ("p", "We noticed a new sign-in to your Google Account on a Mac device. If this was you, you don't need to do anything. If not, we'll help you secure your account."),
        ("btn", "Check activity", "https://accounts.google.com/AccountChooser?Email=joseph.okafor.work@gmail.com&continue=https://myaccount.google.com/alert/nt/1794512402000?rfn%3D325%26rfnc%3D1%26eid%3D-4411729382811734520%26et%3D0"),
        ("small", "You can also see security activity at https://myaccount.google.com/notifications"),
    ]
    footer = ["You received this email to let you know about important changes to your Google Account and services.",
              "© 2026 Google LLC, 1600 Amphitheatre Parkway, Mountain View, CA 94043, USA"]
    htm = card("Google", st, "We noticed a new sign-in to your Google Account on a Mac device.", blocks, foot(footer))
    add("t07-google-new-signin-alert", "transactional", frm=addr("Google", "no-reply@accounts.google.com"),
        to=addr("", "j.okafor@example.net"), subject="Security alert", date=d,
        msgid=f"<{alnum('t07', 22)}@notifications.google.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t07", "gmail", html_cte="quoted-printable"),
        mailfrom="3AqSOaQgTCX8AB-E1C8L-56E5BC-z1AB-67DA5G0I8MI4BFEK.AI@gaia.bounces.google.com", ip="209.85.220.73",
        helo="mail-sor-f73.google.com", dkim=[("accounts.google.com", "20230601")], from_dom="accounts.google.com",
        inner=[f"by mail-sor-f73.google.com (Google Transport Security) with SMTPS id {hexs('t07s', 20)}\n        for <j.okafor@example.net>; {rfcdate(d)}"],
        sign_extra=[("X-Google-Smtp-Source", "AGHT+I" + b64s("t07g", 60).rstrip("="))],
        after=[("X-Account-Notification-Type", "127-anexp#nret-fa"), ("Feedback-ID", "127-anexp#nret-fa:account-notifier"),
               ("X-Notifications", "6b1a8f01c5a40000"), ("X-Notifications-Bounce-Info", alnum("t07n", 60))])


def t08_klm_flight():
    d = when(6, 16, 12, 30, 60)
    st = dict(font=ARIAL, accent="#00a1de", color="#003145", muted="#4d6a7a", bg="#e5f1f8")
    url = utm("https://www.klm.com/trip?bookingCode=QX7M4P&lastName=DIJK", "klm", "booking_confirmation", content="manage")
    blocks = [
        ("h1", "Your booking is confirmed"),
        ("p", "Dear Mr Van Dijk, thank you for booking with KLM. Below you will find the details of your trip. Please check that all details are correct."),
        ("kv", [("Booking code", "QX7M4P"), ("E-ticket number", "074 2418876531")]),
        ("h2", "Amsterdam – Edinburgh"),
        ("kv", [("Flight", "KL 1283, operated by KLM Cityhopper"), ("Departure", "Thu 10 Dec 2026, 09:50 Amsterdam (AMS) Schiphol"),
                ("Arrival", "Thu 10 Dec 2026, 10:35 Edinburgh (EDI)"), ("Cabin", "Economy Standard · 1 piece of hand baggage, 1 checked bag 23 kg")]),
        ("h2", "Edinburgh – Amsterdam"),
        ("kv", [("Flight", "KL 1290, operated by KLM Cityhopper"), ("Departure", "Sun 13 Dec 2026, 17:25 Edinburgh (EDI)"),
                ("Arrival", "Sun 13 Dec 2026, 20:05 Amsterdam (AMS) Schiphol"), ("Cabin", "Economy Standard")]),
        ("items", [("Fare for 1 adult (incl. taxes, fees and surcharges)", 1, "EUR 213.58"), ("Seat 7A, 7C (Economy Comfort Zone not selected)", 1, "EUR 0.00")],
         [("Total paid (Mastercard ****8821)", "EUR 213.58")]),
        ("btn", "Manage my booking", url),
        ("p", "Online check-in opens 30 hours before departure. Travelling within the Schengen area? Please remember that the United Kingdom is not part of it: bring a valid passport."),
    ]
    footer = ["KLM Royal Dutch Airlines · Amsterdamseweg 55 · 1182 GP Amstelveen · The Netherlands",
              "This is a service email about your booking. You cannot unsubscribe from it. [Privacy policy](https://www.klm.com/information/legal/privacy)"]
    htm = shop("KLM", st, "Booking code QX7M4P · Amsterdam – Edinburgh, 10 Dec", blocks, foot(footer), logo="https://img.klm.com/email/logo-klm-white.png",
               pixel=f"https://t.klm-mail.com/r/?id=h{hexs('t08p', 14)},{hexs('t08q', 8)},1", header_bg="#00a1de")
    add("t08-klm-flight-booking", "transactional", frm=addr("KLM Royal Dutch Airlines", "noreply@klm-info.com"), to=who("lucas"),
        subject="Booking confirmation QX7M4P - Amsterdam - Edinburgh", date=d, msgid=f"<{digits('t08', 10)}.{digits('t08m', 8)}.JavaMail.svc-booking@ams-prd-mail07>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t08", "java"),
        mailfrom="bounce-1729_HTML-83115547-9913-7002156-44@bounce.klm-info.com", ip="136.147.182.139", helo="mta11.klm-info.com",
        dkim=[("klm-info.com", "200608")], from_dom="klm-info.com",
        headers=[("Reply-To", "KLM Royal Dutch Airlines <reply-fe8f1c70736c077a7c-1729_HTML@klm-info.com>")],
        after=[("x-job", "7002156_83115547"), ("X-SFMC-Stack", "7"), ("x-CSA-Complaints", "csa-complaints@eco.de")])


def t09_booking_hotel():
    d = when(14, 11, 5, 8, 60)
    st = dict(font="BlinkMacSystemFont,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif", accent="#006ce4", color="#1a1a1a", muted="#595959", bg="#f5f5f5")
    url = "https://secure.booking.com/myreservations.html?aid=304142&auth_key=" + alnum("t09k", 24)
    blocks = [
        ("h1", "Thanks, Marie! Your booking in Lyon is confirmed."),
        ("list", ["**Hôtel des Célestins** is expecting you on 4 December.", "Your payment will be handled by the property. The Payment section below has more details.",
                  "Make changes to your booking or ask the property a question in just a few clicks."]),
        ("kv", [("Confirmation number", "4417.203.815"), ("PIN code", "0932"), ("Check-in", "Friday 4 December 2026 (from 15:00)"),
                ("Check-out", "Sunday 6 December 2026 (until 11:00)"), ("Your reservation", "2 nights, 1 room"),
                ("Address", "4 rue des Archers, 2nd arr., 69002 Lyon, France"), ("Phone", "+33 4 72 56 08 98")]),
        ("items", [("Double Room – Comfort · Breakfast included", 1, "€ 276")], [("City tax (€2.88 per person per night)", "€ 11.52"), ("Total price", "€ 287.52")]),
        ("btn", "Manage booking", url),
        ("p", "**Cancellation:** free cancellation until 23:59 on 1 December 2026. From 00:00 on 2 December 2026 the property charges the first night."),
    ]
    footer = ["Copyright © 1996–2026 Booking.com. All rights reserved.",
              "This email was sent by Booking.com, Oosterdokskade 163, 1011 DL Amsterdam, Netherlands.",
              "[Privacy and Cookie Statement](https://www.booking.com/content/privacy.html) · [Customer Service](https://www.booking.com/content/cs.html)"]
    htm = shop("Booking.com", st, "Hôtel des Célestins, 4–6 Dec · Confirmation 4417.203.815", blocks, foot(footer),
               logo="https://cf.bstatic.com/static/img/email/booking_logo_white.png", pixel=f"https://www.booking.com/email_open.gif?token={alnum('t09p', 32)}", header_bg="#003b95")
    add("t09-booking-hotel-confirmation", "transactional", frm=addr("Booking.com", "noreply@booking.com"), to=who("marie"),
        subject="Your booking is confirmed at Hôtel des Célestins", date=d,
        msgid=f"<{digits('t09', 10)}.{hexs('t09m', 16)}@mailer.booking.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t09", "plain", html_cte="base64"),
        mailfrom=f"bounce-{digits('t09b', 12)}@sg.booking.com", ip="185.28.196.73", helo="mailout-73.booking.com",
        dkim=[("booking.com", "bk")], from_dom="booking.com",
        headers=[("Reply-To", addr("Hôtel des Célestins", "celestins.4417203815@property.booking.com"))],
        after=[("X-Booking-Mail-Type", "confirmation"), ("Auto-Submitted", "auto-generated")])


def t10_eurostar_pdf():
    d = when(5, 21, 18, 0)
    pdf = tiny_pdf(["Eurostar e-ticket", "", "Booking reference: VQRWZL", "Passenger: MR JOSEPH OKAFOR",
                    "Train 9014  London St Pancras Int'l 08:01 -> Paris Gare du Nord 11:20",
                    "Wednesday 2 December 2026", "Coach 12  Seat 61  Standard", "",
                    "Please arrive at the station at least 60 minutes before departure.",
                    "Ticket number 8171-0044-2935-10"], "Eurostar e-ticket VQRWZL")
    txt = """Hi Joseph,

Here's your ticket for Wednesday's trip. You'll find it attached as a
PDF, and it's in the Eurostar app too (Trips > VQRWZL).

  London St Pancras Int'l  08:01  ->  Paris Gare du Nord  11:20
  Wednesday 2 December 2026
  Train 9014 · Coach 12 · Seat 61 · Standard

A few things to know before you go:

- Gates close 30 minutes before departure, and you'll need time for
  security and passport control, so please aim to arrive 60 to 90
  minutes before your train leaves.
- You can bring 2 large bags and 1 small bag per person. Please label
  your bags with your name and address.
- Your ticket is in your name and can't be used by anyone else.

Need to change your plans? You can exchange your ticket up to 7 days
after departure in Manage Booking:
https://www.eurostar.com/uk-en/manage-booking?pnr=VQRWZL&utm_source=transactional&utm_medium=email&utm_campaign=eticket

Have a great trip,
The Eurostar team

Eurostar International Limited, Times House, Bravingtons Walk,
Regent Quarter, London N1 9AW. Registered in England No. 2462001.
"""
    body = multi("mixed", [text(txt, cte="quoted-printable"), attach("application/pdf", pdf, "Eurostar-eticket-VQRWZL.pdf")], "t10", "sg")
    add("t10-eurostar-eticket-pdf", "transactional", frm=addr("Eurostar", "no-reply@eurostar.com"), to=who("jo"),
        subject="Your e-ticket: London – Paris, Wed 2 Dec (VQRWZL)", date=d, msgid=f"<{hexs('t10', 8)}-{hexs('t10a', 4)}-{hexs('t10b', 4)}-{hexs('t10c', 4)}-{hexs('t10d', 12)}@eurostar.com>",
        body=body, mailfrom="bounces@transactional.eurostar.com", ip="159.135.228.10", helo="m228-10.mailgun.net",
        dkim=[("eurostar.com", "k1"), ("mailgun.org", "mg")], from_dom="eurostar.com",
        after=[("X-Mailgun-Sid", b64s("t10s", 54).rstrip("=")), ("X-Mailgun-Variables", '{"booking_ref": "VQRWZL", "template": "eticket-v3"}'),
               ("X-Mailgun-Tag", "eticket")])



def t11_gcal_invite():
    d = when(20, 9, 12, 47, 60)
    uid = f"{alnum('t11u', 26).lower()}@google.com"
    org = ("Katrin Vogel", "katrin.vogel@northwind-labs.de")
    att = [("Katrin Vogel", "katrin.vogel@northwind-labs.de"), ("lena.hoffmann@example.net", "lena.hoffmann@example.net"), ("Felix Brandt", "felix.brandt@northwind-labs.de")]
    cal = ics(uid, "Kick-off: Relaunch Kundenportal", "20261126T100000", "20261126T110000", org, att,
              location="https://meet.google.com/wqx-hzbd-kpt", tzid="Europe/Berlin", prodid="-//Google Inc//Google Calendar 70.9054//EN",
              description="Hallo zusammen,\n\nwie besprochen der Kick-off für den Relaunch. Agenda:\n1. Ziele und Umfang\n2. Zeitplan bis März\n3. Zugänge und Ansprechpartner\n\nViele Grüße\nKatrin\n\nJoin with Google Meet: https://meet.google.com/wqx-hzbd-kpt")
    txt = """Kick-off: Relaunch Kundenportal
Thursday 26 Nov 2026 ⋅ 10:00 – 11:00
Central European Time - Berlin

Join with Google Meet
https://meet.google.com/wqx-hzbd-kpt

Hallo zusammen,

wie besprochen der Kick-off für den Relaunch. Agenda:
1. Ziele und Umfang
2. Zeitplan bis März
3. Zugänge und Ansprechpartner

Viele Grüße
Katrin

Organizer
Katrin Vogel
katrin.vogel@northwind-labs.de

Guests
Katrin Vogel - organizer
lena.hoffmann@example.net
Felix Brandt

Reply for lena.hoffmann@example.net
https://calendar.google.com/calendar/event?action=RESPOND&eid=""" + alnum("t11e", 60) + """&rst=1

Invitation from Google Calendar: https://calendar.google.com/calendar/

You are receiving this email because you are an attendee on the event. To
stop receiving future updates for this event, decline this event.

Forwarding this invitation could allow any recipient to send a response to
the organizer, be added to the guest list, invite others regardless of
their own invitation status, or modify your RSVP.
"""
    htm = """<span itemscope itemtype="http://schema.org/InformAction"><span style="display:none" itemprop="about" itemscope itemtype="http://schema.org/Person"><meta itemprop="description" content="Invitation from Katrin Vogel"/></span></span>
<div style=""><table cellspacing="0" cellpadding="8" border="0" summary="" style="width:100%;font-family:Arial,Sans-serif;border:1px Solid #ccc;border-width:1px 2px 2px 1px;background-color:#fff;"><tr><td>
<div style="padding:2px"><h3 style="padding:0 0 6px 0;margin:0;font-family:Arial,Sans-serif;font-size:16px;font-weight:bold;color:#222"><span>Kick-off: Relaunch Kundenportal</span></h3>
<table style="display:inline-table" cellpadding="0" cellspacing="0" border="0" summary="Event details">
<tr><td style="padding:0 1em 10px 0;font-family:Arial,Sans-serif;font-size:13px;color:#888;white-space:nowrap;width:90px" valign="top"><div><i style="font-style:normal">When</i></div></td>
<td style="padding-bottom:10px;font-family:Arial,Sans-serif;font-size:13px;color:#222" valign="top">Thursday 26 Nov 2026 ⋅ 10:00 – 11:00 (Central European Time - Berlin)</td></tr>
<tr><td style="padding:0 1em 10px 0;font-family:Arial,Sans-serif;font-size:13px;color:#888;white-space:nowrap;width:90px" valign="top"><div><i style="font-style:normal">Joining info</i></div></td>
<td style="padding-bottom:10px;font-family:Arial,Sans-serif;font-size:13px;color:#222" valign="top"><a href="https://meet.google.com/wqx-hzbd-kpt" style="color:#1a73e8">Join with Google Meet</a><br>meet.google.com/wqx-hzbd-kpt</td></tr>
<tr><td style="padding:0 1em 10px 0;font-family:Arial,Sans-serif;font-size:13px;color:#888;white-space:nowrap;width:90px" valign="top"><div><i style="font-style:normal">Guests</i></div></td>
<td style="padding-bottom:10px;font-family:Arial,Sans-serif;font-size:13px;color:#222" valign="top">Katrin Vogel - organizer<br>lena.hoffmann@example.net<br>Felix Brandt</td></tr>
</table>
<p style="font-family:Arial,Sans-serif;font-size:13px;color:#222">Hallo zusammen,<br><br>wie besprochen der Kick-off für den Relaunch. Agenda:<br>1. Ziele und Umfang<br>2. Zeitplan bis März<br>3. Zugänge und Ansprechpartner<br><br>Viele Grüße<br>Katrin</p>
<p style="font-family:Arial,Sans-serif;font-size:13px;color:#222">Going (lena.hoffmann@example.net)? <a href="https://calendar.google.com/calendar/event?action=RESPOND&amp;eid=EID&amp;rst=1" style="color:#1a73e8">Yes</a> - <a href="https://calendar.google.com/calendar/event?action=RESPOND&amp;eid=EID&amp;rst=3" style="color:#1a73e8">Maybe</a> - <a href="https://calendar.google.com/calendar/event?action=RESPOND&amp;eid=EID&amp;rst=2" style="color:#1a73e8">No</a></p>
</div></td></tr></table>
<p style="color:#888;font-size:11px;font-family:Arial,Sans-serif">Invitation from <a href="https://calendar.google.com/calendar/" style="color:#888">Google Calendar</a><br><br>You are receiving this email because you are an attendee on the event. To stop receiving future updates for this event, decline this event.</p></div>
""".replace("EID", alnum("t11e", 60))
    inner = multi("alternative", [text(txt, flowed=False, cte="quoted-printable"), text(htm, "html", cte="quoted-printable"),
                                  text(cal, "calendar", cte="7bit" if cal.isascii() else "quoted-printable", ctype_extra="; method=REQUEST")], "t11", "gmail")
    body = multi("mixed", [inner, attach("application/ics", cal.encode("utf-8"), "invite.ics")], "t11", "gmail")
    add("t11-google-calendar-invitation", "transactional", frm=addr("Katrin Vogel", "katrin.vogel@northwind-labs.de"), to=addr("", "lena.hoffmann@example.net"),
        subject="Invitation: Kick-off: Relaunch Kundenportal @ Thu 26 Nov 2026 10:00 - 11:00 (CET) (lena.hoffmann@example.net)", date=d,
        msgid=f"<calendar-{hexs('t11', 8)}-{hexs('t11a', 4)}-{hexs('t11b', 4)}-{hexs('t11c', 4)}-{hexs('t11d', 12)}@google.com>",
        body=body, mailfrom="3t6BBaQ0KCk8hnqr-pemfrivkqqing.eqo.rsshv.iruhqdpcohb.qhw@calendar-server.bounces.google.com",
        ip="209.85.220.69", helo="mail-sor-f69.google.com", dkim=[("northwind-labs.de", "google"), ("google.com", "20230601")],
        from_dom="northwind-labs.de", lang="de", headers=[("Reply-To", addr("Katrin Vogel", "katrin.vogel@northwind-labs.de")), ("Sender", "Google Calendar <calendar-notification@google.com>")],
        inner=[f"by mail-sor-f69.google.com (Google Transport Security) with SMTPS id {hexs('t11s', 20)}\n        for <lena.hoffmann@example.net>; {rfcdate(d)}"])


def t12_docusign():
    d = when(24, 15, 33, 20, -480)
    st = dict(font="Helvetica,Arial,sans-serif", accent="#ffc820", color="#333333", muted="#666666", bg="#eaeaea")
    env = f"{hexs('t12e', 8)}-{hexs('t12f', 4)}-{hexs('t12g', 4)}-{hexs('t12h', 4)}-{hexs('t12i', 12)}".upper()
    url = f"https://na4.docusign.net/Signing/EmailStart.aspx?a={hexs('t12a', 8)}-{hexs('t12b', 4)}-{hexs('t12c', 4)}-{hexs('t12d', 4)}-{hexs('t12j', 12)}&etti=24&acct={hexs('t12k', 8)}-{hexs('t12l', 4)}-4f0e-9a1b-{hexs('t12m', 12)}&er={hexs('t12n', 8)}"
    htm = page("DocuSign", "Rachel Kim sent you a document to review and sign.", f"""<tr><td bgcolor="#1e4ca1" style="padding:28px 24px;" align="center">
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td align="center" style="font-family:Helvetica,Arial,sans-serif;font-size:16px;color:#ffffff;">
<img src="https://na4.docusign.net/member/Images/email/docInvite-white.png" width="75" height="75" alt="" style="display:block;margin:0 auto 16px auto;">
Rachel Kim sent you a document to review and sign.</td></tr>
<tr><td align="center" style="padding-top:24px;"><table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td bgcolor="#ffc820" style="border-radius:2px;">
<a href="{_html.escape(url)}" style="display:inline-block;padding:0 24px;line-height:44px;font-family:Helvetica,Arial,sans-serif;font-size:14px;font-weight:bold;color:#333333;text-decoration:none;">REVIEW DOCUMENT</a></td></tr></table></td></tr></table></td></tr>
<tr><td bgcolor="#ffffff" style="padding:24px 30px;font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:22px;color:#333333;">
<p style="margin:0 0 16px 0;"><b>Rachel Kim</b><br><a href="mailto:rachel.kim@cedarbrook-legal.com" style="color:#2463d1;">rachel.kim@cedarbrook-legal.com</a></p>
<p style="margin:0 0 16px 0;">Hi Priya,</p>
<p style="margin:0 0 16px 0;">Please review and sign the Mutual NDA ahead of next week's call with our client. Sections 4 (term) and 7 (governing law) are unchanged from the draft you saw on Friday.</p>
<p style="margin:0;">Thanks,<br>Rachel</p></td></tr>
<tr><td style="padding:24px 30px;font-family:Helvetica,Arial,sans-serif;font-size:11px;line-height:16px;color:#666666;">
<b>Do Not Share This Email</b><br>This email contains a secure link to Docusign. Please do not share this email, link, or access code with others.<br><br>
<b>Alternate Signing Method</b><br>Visit Docusign.com, click 'Access Documents', and enter the security code:<br>{env}<br><br>
<b>About Docusign</b><br>Sign documents electronically in just minutes. It's safe, secure, and legally binding.<br><br>
<b>Questions about the Document?</b><br>If you need to modify the document or have questions about the details in the document, please reach out to the sender by emailing them directly.<br><br>
This message was sent to you by Rachel Kim who is using the Docusign Electronic Signature Service. If you would rather not receive email from this sender you may contact the sender with your request.<br><br>
Docusign, Inc., 221 Main Street, Suite 800, San Francisco, CA 94105</td></tr>""", bg="#eaeaea", pixel=f"https://na4.docusign.net/member/Images/email/spacer.gif?e={hexs('t12p', 16)}")
    txt = f"""Rachel Kim sent you a document to review and sign.

REVIEW DOCUMENT
{url}

Rachel Kim
rachel.kim@cedarbrook-legal.com

Hi Priya,

Please review and sign the Mutual NDA ahead of next week's call with
our client. Sections 4 (term) and 7 (governing law) are unchanged from
the draft you saw on Friday.

Thanks,
Rachel

Do Not Share This Email
This email contains a secure link to Docusign. Please do not share this
email, link, or access code with others.

Alternate Signing Method
Visit Docusign.com, click 'Access Documents', and enter the security
code: {env}

Questions about the Document?
If you need to modify the document or have questions about the details
in the document, please reach out to the sender by emailing them
directly.
"""
    add("t12-docusign-signature-request", "transactional", frm=addr("Rachel Kim via Docusign", "dse_NA4@docusign.net"), to=who("priya"),
        subject="Complete with Docusign: Mutual NDA - Cedarbrook Legal _ Example Net.pdf", date=d,
        msgid=f"<{hexs('t12mid', 32)}@docusign.net>", body=alt(txt, htm, "t12", "plain", html_cte="quoted-printable"),
        mailfrom="bounces@docusign.net", ip="64.207.219.135", helo="mail135.docusign.net", dkim=[("docusign.net", "mail")],
        from_dom="docusign.net", headers=[("Reply-To", addr("Rachel Kim", "rachel.kim@cedarbrook-legal.com"))],
        after=[("X-DocuSign-Envelope-ID", env), ("X-Envelope-Type", "Signer"), ("Auto-Submitted", "auto-generated")])


def t13_uber_receipt():
    d = when(7, 1, 12, 40)
    st = dict(font="'UberMove','Open Sans','Helvetica Neue',Helvetica,sans-serif", accent="#000000", color="#000000", muted="#757575", bg="#ffffff")
    blocks = [
        ("h1", "Thanks for riding, Joseph"),
        ("p", "We hope you enjoyed your ride this morning."),
        ("items", [("Trip fare", 1, "£17.24"), ("Booking fee", 1, "£1.25"), ("Clean Air Fee", 1, "£0.15")], [("Total", "£18.64")]),
        ("kv", [("Payment", "Apple Pay ••••4417"), ("UberX", "6.31 miles · 24 min"), ("Pickup 00:47", "Kingsland Rd, London E8 4AA"), ("Drop-off 01:11", "Gaskell St, London SW4 6NR")]),
        ("p", "Your driver was **Marek**. Want to add a tip? You can [rate or tip](https://riders.uber.com/trips/" + f"{hexs('t13t', 8)}-{hexs('t13u', 4)}-4a20-8b11-{hexs('t13v', 12)}" + ") for up to 30 days after your trip."),
        ("small", "Fares are inclusive of VAT where applicable. A VAT invoice for this trip is available in the Uber app."),
    ]
    footer = ["[Help](https://help.uber.com/riders) · [Privacy](https://www.uber.com/legal/privacy)", "Uber London Limited, Aldgate Tower, 2 Leman Street, London E1 8FA"]
    htm = card("Uber", st, "Your Friday night trip with Uber", blocks, foot(footer), pixel=f"https://click.uber.com/wf/open?upn={alnum('t13p', 60)}")
    add("t13-uber-trip-receipt", "transactional", frm=addr("Uber Receipts", "noreply@uber.com"), to=addr("Joseph Okafor", "j.okafor@example.net"),
        subject="Your Friday night trip with Uber", date=d, msgid=f"<{hexs('t13', 8)}-{hexs('t13a', 4)}-{hexs('t13b', 4)}-{hexs('t13c', 4)}-{hexs('t13d', 12)}@uber.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t13", "sg", html_cte="base64"),
        mailfrom="bounces+8021211-5c1e-j.okafor=example.net@em.uber.com", ip="167.89.100.185", helo="o1.em.uber.com",
        dkim=[("uber.com", "s1")], from_dom="uber.com",
        after=[("X-SG-EID", b64s("t13sg", 72)), ("X-Entity-ID", alnum("t13e", 22))])


def t14_apple_receipt():
    d = when(15, 4, 9, 51)
    st = dict(font="'SF Pro Text','Helvetica Neue',Helvetica,Arial,sans-serif", accent="#0071e3", color="#1d1d1f", muted="#86868b", bg="#ffffff")
    blocks = [
        ("h1", "Receipt"),
        ("kv", [("Apple Account", "anna.berg@example.net"), ("Date", "15 Nov 2026"), ("Order ID", "MV4K9QZ2TL"), ("Document No.", "184022918773")]),
        ("h2", "App Store"),
        ("items", [("iCloud+ with 200 GB storage · Monthly · Renews 15 Dec 2026", 1, "£2.99"),
                   ("Things 3 (Cultured Code GmbH & Co. KG) · iPad", 1, "£19.99")],
         [("Subtotal", "£19.15"), ("VAT charged at 20%", "£3.83"), ("TOTAL", "£22.98")]),
        ("kv", [("Billed to", "Visa .... 1038, Anna Berg, London")]),
        ("p", "If you have any questions about your bill, please visit [Apple Support](https://support.apple.com/billing). Learn how to [manage your subscriptions](https://apps.apple.com/account/subscriptions) or [report a problem](https://reportaproblem.apple.com)."),
    ]
    footer = ["Apple Distribution International Ltd., Hollyhill Industrial Estate, Hollyhill, Cork, Republic of Ireland. VAT ID: IE9700053D",
              "[Apple Account](https://account.apple.com) · [Terms of Sale](https://www.apple.com/uk/legal/internet-services/itunes/uk/terms.html) · [Privacy Policy](https://www.apple.com/legal/privacy/)",
              "Copyright © 2026 Apple Distribution International Ltd. All rights reserved."]
    htm = card("Apple", st, "Your receipt from Apple.", blocks, foot(footer))
    add("t14-apple-app-store-receipt", "transactional", frm=addr("Apple", "no_reply@email.apple.com"), to=addr("Anna Berg", "anna.berg@example.net"),
        subject="Your receipt from Apple.", date=d, msgid=f"<{hexs('t14', 8).upper()}-{hexs('t14a', 4).upper()}-{hexs('t14b', 4).upper()}-{hexs('t14c', 4).upper()}-{hexs('t14d', 12).upper()}@email.apple.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t14", "apple", html_cte="quoted-printable"),
        mailfrom="bounce@insideapple.apple.com", ip="17.111.110.112", helo="rn2-txn-msbadger06104.apple.com", dkim=[("email.apple.com", "email0517")],
        from_dom="email.apple.com", dmarc="p=REJECT sp=REJECT dis=NONE",
        after=[("X-Email-Type-Id", "3"), ("X-Apple-Mail-Type", "receipt")])


def t15_zalando_nl():
    d = when(10, 13, 44, 18, 60)
    st = dict(font="Helvetica,Arial,sans-serif", accent="#ff6900", color="#1a1a1a", muted="#666666", bg="#f0f0f0")
    blocks = [
        ("h1", "Je bestelling is onderweg!"),
        ("p", "Hoi Lucas, goed nieuws: je pakket is zojuist verzonden met PostNL. Je kunt het volgen via de knop hieronder. Meestal wordt het binnen 1-2 werkdagen bezorgd."),
        ("btn", "Volg je pakket", utm("https://www.zalando.nl/myaccount/orders/10105544872918/tracking", "zalando", "shipping_confirmation", content="cta")),
        ("kv", [("Bestelnummer", "10105544872918"), ("Verzendmethode", "Standaardverzending (gratis)"), ("Track & trace", "3SZLND0071194553")]),
        ("items", [("Vans Old Skool – sneakers laag – black/white, maat 44", 1, "€ 84,99"), ("Selected Homme SLHNEW COBAN – gebreide trui – navy, maat L", 1, "€ 49,99")],
         [("Verzendkosten", "€ 0,00"), ("Totaal (incl. btw)", "€ 134,98")]),
        ("p", "Iets past niet? Je hebt **100 dagen** om gratis te retourneren. Meld je retour aan via [Mijn bestellingen](https://www.zalando.nl/myaccount/orders)."),
    ]
    footer = ["Zalando SE, Valeska-Gert-Straße 5, 10243 Berlijn, Duitsland · KvK-nummer (Handelsregister Berlin) HRB 158855 B",
              "Je ontvangt deze e-mail omdat je een bestelling hebt geplaatst bij Zalando. [Klantenservice](https://www.zalando.nl/faq/) · [Privacy](https://www.zalando.nl/zalando-privacy/)"]
    htm = shop("Zalando", st, "Je pakket is onderweg – bezorging morgen of overmorgen", blocks, foot(footer),
               logo="https://mosaic01.ztat.net/nvg/z-header-fragment/zalando-logo/logo_default.png", pixel=f"https://mail.zalando.nl/o/{alnum('t15p', 36)}.gif", lang="nl")
    add("t15-zalando-verzonden-nl", "transactional", frm=addr("Zalando", "info@service-mail.zalando.nl"), to=who("lucas"),
        subject="Je bestelling 10105544872918 is verzonden", date=d, msgid=f"<{hexs('t15', 32)}@service-mail.zalando.nl>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t15", "ses", html_cte="quoted-printable"),
        mailfrom=f"0102019{hexs('t15b', 9)}-{hexs('t15c', 8)}-000000@eu-central-1.amazonses.com", ip="69.169.224.6", helo="e224-6.smtp-out.eu-central-1.amazonses.com",
        dkim=[("service-mail.zalando.nl", "zl1"), ("amazonses.com", "4dx5ui2z4xopbkjpj7ba2u6ktz7ajg3n")], lang="nl",
        after=[("Feedback-ID", "::1.eu-central-1.Hh8d2aTg1YGmQfLZ1p+DkQuYsI2vIyDAmTd8X9cFQnw=:AmazonSES"), ("X-SES-Outgoing", "2026.11.10-69.169.224.6")])


def t16_octopus_bill():
    d = when(4, 9, 0, 14)
    txt = """Hi Sam,

Your latest bill is ready. Here's a quick summary:

  Period:               5 Oct 2026 - 4 Nov 2026
  Electricity:          £58.41 (312 kWh)
  Gas:                  £41.06 (1,046 kWh)
  Standing charges:     £18.89
  VAT (5%):             £5.92
  ----------------------------------
  Total this bill:      £124.28

  Your balance after this bill: £37.15 in credit

Your Direct Debit of £118.00 will be collected on 12 November, as
usual. We've reviewed it and it still looks right for how much energy
you use, so there's nothing to do.

See the full bill (and download a PDF) in your online account:
https://octopus.energy/dashboard/bills/?utm_source=bill-email&utm_medium=email&utm_campaign=bill_ready

A couple of things this month:

* Your smart meter sent us readings every half hour, so this bill
  uses actual readings, not estimates.
* Saving Sessions are back for the winter. You're already signed up,
  and we'll email you the day before each one.

Any questions, just reply to this email - it comes straight to your
local energy specialists in Team Ermine.

Speak soon,

Hannah
Octopus Energy

--
Octopus Energy Ltd, UK House, 5th floor, 164-182 Oxford Street,
London W1D 1NN. Company number 09263424.
"""
    add("t16-octopus-energy-bill", "transactional", frm=addr("Octopus Energy", "hello@octopus.energy"), to=who("sam"),
        subject="Your new bill is ready (and you're £37.15 in credit)", date=d, msgid=f"<{hexs('t16', 32)}@octopus.energy>",
        body=text(txt, cte="quoted-printable", flowed=False),
        mailfrom="bounce+8b2c61.c41e-sam=example.net@mg.octopus.energy", ip="141.193.32.22", helo="m32-22.eu.mailgun.net",
        dkim=[("octopus.energy", "krs"), ("eu.mailgun.org", "mg")], from_dom="octopus.energy",
        headers=[("Reply-To", addr("Octopus Energy", "hello@octopus.energy"))],
        after=[("X-Mailgun-Sid", b64s("t16s", 60).rstrip("=")), ("X-Mailgun-Tag", "bill-ready"), ("X-Mailgun-Track", "no"), ("X-Mailgun-Track-Opens", "no")])


def t17_paypal():
    d = when(22, 18, 27, 3, -480)
    st = dict(font="'PayPal Sans Big',Helvetica,Arial,sans-serif", accent="#0070e0", color="#001435", muted="#545d68", bg="#f7f5f2")
    blocks = [
        ("h1", "You sent €45.00 EUR to Kinderchor Regenbogen e.V."),
        ("p", "Hello Lena Hoffmann,"),
        ("p", "Note to Kinderchor Regenbogen e.V.: **Weihnachtskonzert – 3 Karten (Familie Hoffmann)**"),
        ("kv", [("Transaction ID", "8KD41937WF551402V"), ("Transaction date", "22 Nov 2026"), ("Sent to", "kasse@kinderchor-regenbogen.de"),
                ("Funding source", "Sparkasse Giro ••••4711 €45.00 EUR"), ("Fee", "€0.00 EUR")]),
        ("btn", "View transaction details", "https://www.paypal.com/myaccount/transactions/details/8KD41937WF551402V"),
        ("p", "It may take a few moments for this transaction to appear in your account."),
        ("small", "PayPal Purchase Protection does not apply to payments to friends and family."),
    ]
    footer = ["[Help & Contact](https://www.paypal.com/de/smarthelp/home) · [Security](https://www.paypal.com/de/security) · [Apps](https://www.paypal.com/de/webapps/mpp/mobile-apps)",
              "PayPal is committed to preventing fraudulent emails. Emails from PayPal will always contain your full name.",
              "PayPal (Europe) S.à r.l. et Cie, S.C.A., 22-24 Boulevard Royal, L-2449 Luxembourg. Copyright © 1999-2026 PayPal. All rights reserved.",
              "PPC001194:1.1:11cf4e6a8b5e3"]
    htm = card("PayPal", st, "You sent €45.00 EUR to Kinderchor Regenbogen e.V.", blocks, foot(footer))
    add("t17-paypal-payment-sent", "transactional", frm=addr("service@paypal.de", "service@paypal.de"), to=who("lena"),
        subject="You've sent €45.00 EUR to Kinderchor Regenbogen e.V.", date=d,
        msgid=f"<{hexs('t17', 8)}.{hexs('t17a', 12)}@mx0.slc.paypal.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t17", "java", html_cte="quoted-printable"),
        mailfrom="service@paypal.de", ip="173.0.84.227", helo="mx0.slc.paypal.com", rdns="mx0.slc.paypal.com", dkim=[("paypal.de", "pp-dkim1")],
        from_dom="paypal.de", arc=("paypal.de", "pp-arc"),
        after=[("X-MaxCode-Template", "RT000181"), ("X-PP-Priority", "0-none-false"), ("X-Email-Type-Id", "RT000181"), ("X-XPT-XSL-Name", "email_pimp/default/en_US/transaction/moneysent.xsl")])


def t18_opentable():
    d = when(19, 12, 2, 33)
    st = dict(font="'Brandon Text',Helvetica,Arial,sans-serif", accent="#da3743", color="#2d333f", muted="#6f737b", bg="#f1f2f4")
    blocks = [
        ("h1", "Your reservation is confirmed"),
        ("p", "You're all set, Priya. **Dishoom King's Cross** is expecting you."),
        ("kv", [("Date", "Friday, 27 November 2026"), ("Time", "7:15 pm"), ("Party size", "4 people"), ("Confirmation #", "117044"),
                ("Address", "Stable St, Granary Square, London N1C 4AB")]),
        ("btn", "Modify or cancel", utm("https://www.opentable.co.uk/booking/view?rid=180244&confnumber=117044&token=" + alnum("t18t", 30), "opentable", "rez_confirm")),
        ("h2", "A note from the restaurant"),
        ("quote", "We hold tables for 15 minutes. For parties of 6 or more we may ask for a card to secure the booking. Please let us know about any allergies when you arrive."),
        ("p", "Add it to your calendar: [Google](https://www.opentable.co.uk/ical/117044?type=google) · [Outlook / Apple](https://www.opentable.co.uk/ical/117044.ics)"),
    ]
    footer = ["OpenTable, Ltd. · 3rd Floor, 1 Fore Street, London EC2Y 9DT", "You're receiving this email because you made a reservation on OpenTable. [Privacy policy](https://www.opentable.co.uk/legal/privacy-policy)"]
    htm = shop("OpenTable", st, "Friday 27 Nov, 7:15 pm, party of 4", blocks, foot(footer), logo="https://www.opentable.co.uk/img/email/ot-logo-red.png",
               pixel=f"https://email.opentable.com/wf/open?upn={alnum('t18p', 56)}")
    add("t18-opentable-reservation", "transactional", frm=addr("OpenTable", "reservations@opentable.com"), to=who("priya"),
        subject="Reservation confirmed: Dishoom King's Cross, Fri 27 Nov at 7:15 pm", date=d,
        msgid=f"<{alnum('t18', 22)}@ismtpd0041p1lon1.sendgrid.net>", body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t18", "sg"),
        mailfrom="bounces+3912274-7c1a-priya.raman=example.net@email.opentable.com", ip="149.72.134.61", helo="o7.email.opentable.com",
        dkim=[("opentable.com", "s1")], after=[("X-SG-EID", b64s("t18sg", 78)), ("X-Entity-ID", alnum("t18e", 22))])


def t19_renfe_es():
    d = when(11, 20, 51, 7, 60)
    pdf = tiny_pdf(["RENFE - Billete electronico", "", "Localizador: Q7W4KM", "Viajero: CARMEN RUIZ GARCIA",
                    "AVE 03153  Madrid-Puerta de Atocha 15:30 -> Barcelona-Sants 18:20",
                    "Viernes 20/11/2026  Coche 6  Plaza 09D  Tarifa Basico", "Importe: 47,80 EUR",
                    "", "Presente este billete junto con su documento de identidad."], "Billete Q7W4KM")
    txt = """Hola CARMEN,

Gracias por viajar con Renfe. Te confirmamos la compra de tu billete.

  Localizador:   Q7W4KM
  Trayecto:      Madrid-Puerta de Atocha -> Barcelona-Sants
  Fecha:         viernes, 20 de noviembre de 2026
  Tren:          AVE 03153   Salida 15:30   Llegada 18:20
  Coche/plaza:   6 / 09D
  Tarifa:        Básico
  Importe:       47,80 €

Adjuntamos tu billete en PDF. También puedes llevarlo en la app Renfe
Cercanías/Renfe o en la cartera de tu móvil.

Recuerda que el acceso al tren se cierra 2 minutos antes de la salida
y que debes pasar el control de equipajes con antelación.

Para anular o cambiar tu billete entra en "Mis viajes":
https://www.renfe.com/es/es/viajar/informacion-util/mis-viajes

Un saludo,
Renfe Viajeros

Este correo se ha enviado de forma automática; por favor, no respondas
a este mensaje. Renfe Viajeros S.M.E., S.A. Avda. Pío XII, 110. 28036
Madrid.
"""
    body = multi("mixed", [text(txt, charset="utf-8", cte="8bit"), attach("application/pdf", pdf, "Billete_Q7W4KM.pdf")], "t19", "java")
    add("t19-renfe-billete-es", "transactional", frm=addr("Renfe", "venta.internet@renfe.es"), to=addr("CARMEN RUIZ", "carmen.ruiz@example.net"),
        subject="Renfe - Confirmación de compra. Localizador Q7W4KM", date=d, msgid=f"<{digits('t19', 9)}.{digits('t19a', 5)}.{digits('t19b', 13)}@vtaweb-prd-04.renfe.es>",
        body=body, mailfrom="venta.internet@renfe.es", ip="195.76.150.34", helo="smtp-out2.renfe.es", dkim=[("renfe.es", "renfe2024")], lang="es",
        inner=[f"from vtaweb-prd-04.renfe.es (vtaweb-prd-04.renfe.es [10.30.4.14])\n\tby smtp-out2.renfe.es (Postfix) with ESMTP id {alnum('t19q', 10)}\n\tfor <carmen.ruiz@example.net>; {rfcdate(d)}"],
        after=[("X-Mailer", "JavaMail")])


def t20_figma_verify():
    d = when(25, 10, 31, 5)
    st = dict(font="Inter,'Helvetica Neue',Helvetica,Arial,sans-serif", accent="#0d99ff", color="#000000", muted="#757575", bg="#ffffff")
    blocks = [
        ("h1", "Verify your email"),
        ("p", "Hi Giulia, please confirm giulia.conti@example.net is your email address so we can keep your Figma account secure and send you important account updates."),
        ("btn", "Verify email", f"https://www.figma.com/verify?token={alnum('t20t', 48)}"),
        ("small", "This link expires in 24 hours. If you didn't create a Figma account, you can safely ignore this email."),
    ]
    footer = ["Figma, Inc. · 760 Market Street, Floor 10 · San Francisco, CA 94102"]
    htm = card("Figma", st, "Confirm your email address", blocks, foot(footer))
    add("t20-figma-verify-email", "transactional", frm=addr("Figma", "support@figma.com"), to=addr("", "giulia.conti@example.net"),
        subject="Verify your email address", date=d, msgid=f"<{alnum('t20', 22)}@geopod-ismtpd-3.sendgrid.net>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t20", "sg", html_cte="7bit"),
        mailfrom="bounces+1827114-0a3f-giulia.conti=example.net@email.figma.com", ip="168.245.58.12", helo="o11.email.figma.com",
        dkim=[("figma.com", "s1")], after=[("X-SG-EID", b64s("t20sg", 70)), ("X-Entity-ID", alnum("t20e", 22))])


def t21_xero_invoice():
    d = when(30, 8, 45, 0)
    pdf = tiny_pdf(["Tall Pine Photography", "14 Mill Lane, Bristol BS3 4DE", "", "TAX INVOICE  INV-0087", "To: Example Net Ltd, Attn: Accounts",
                    "Invoice date: 30 Nov 2026   Due date: 14 Dec 2026", "",
                    "Team headshots, studio session (12 people)        540.00",
                    "Retouching, 12 images                             180.00",
                    "Usage licence, web and print, 2 years             150.00",
                    "", "Subtotal 870.00   VAT 20% 174.00   TOTAL GBP 1,044.00",
                    "Bank: Starling  Sort code 60-83-71  Account 21448093"], "INV-0087")
    txt = """Hi there,

Here's invoice INV-0087 for GBP 1,044.00.

The amount outstanding of GBP 1,044.00 is due on 14 Dec 2026.

View your bill online: https://in.xero.com/Pf9kX2vQmB1rT8sWz7yN4cJ6hL0aDe3uGqRiVtYo

From your online bill you can print a PDF, export a CSV, or create a
free login and view your outstanding bills.

Thanks again for having me in - it was a fun morning, and the light in
your new meeting room is lovely. The final images are in the shared
folder I sent on Friday.

Best wishes,
Rosie Marsh
Tall Pine Photography
07700 900412
"""
    body = multi("mixed", [text(txt), attach("application/pdf", pdf, "Invoice INV-0087.pdf")], "t21", "plain")
    add("t21-xero-invoice-freelancer", "transactional", frm=addr("Tall Pine Photography", "messaging-service@post.xero.com"), to=who("accounts"),
        subject="Invoice INV-0087 from Tall Pine Photography for Example Net Ltd", date=d,
        msgid=f"<{hexs('t21', 8)}-{hexs('t21a', 4)}-{hexs('t21b', 4)}-{hexs('t21c', 4)}-{hexs('t21d', 12)}@post.xero.com>", body=body,
        mailfrom="bounces@post.xero.com", ip="54.240.8.81", helo="a8-81.smtp-out.amazonses.com", from_dom="post.xero.com",
        dkim=[("post.xero.com", "xpost1"), ("amazonses.com", "6gbrjpgwjskckoa6a5zn6fwqkn67xbtw")],
        headers=[("Reply-To", addr("Rosie Marsh", "rosie@tallpinephoto.co.uk"))],
        after=[("Feedback-ID", "1.us-east-1.zL4pC9XwT0fYg3qV0jK8rM5nB2aH7sE1dU6iO4lP9yQ=:AmazonSES"), ("X-SES-Outgoing", "2026.11.30-54.240.8.81")])


def t22_outlook_invite():
    d = when(16, 14, 5, 27)
    uid = "040000008200E00074C5B7101A82E00800000000" + hexs("t22u", 32).upper()
    cal = ics(uid, "Q1 budget review", "20261201T150000", "20261201T160000", ("Helen Ashworth", "helen.ashworth@example.net"),
              [("Sam Whitfield", "sam@example.net"), ("Joseph Okafor", "j.okafor@example.net"), ("Priya Raman", "priya.raman@example.net")],
              location="Room 3.02 / Microsoft Teams Meeting", tzid="Europe/London", prodid="Microsoft Exchange Server 2010",
              description="Hi all,\n\nLet's go through the Q1 numbers before they go to the board. Please bring your department's forecast.\n\nHelen\n\nMicrosoft Teams meeting\nJoin: https://teams.microsoft.com/l/meetup-join/19%3ameeting_" + alnum("t22m", 40) + "%40thread.v2/0\nMeeting ID: 371 604 552 118\nPasscode: Zk7uV2")
    txt = """Hi all,

Let's go through the Q1 numbers before they go to the board. Please bring your department's forecast.

Helen

________________________________________________________________________________
Microsoft Teams meeting
Join on your computer, mobile app or room device
Click here to join the meeting<https://teams.microsoft.com/l/meetup-join/19%3ameeting_""" + alnum("t22m", 40) + """%40thread.v2/0>
Meeting ID: 371 604 552 118
Passcode: Zk7uV2
Download Teams<https://www.microsoft.com/en-us/microsoft-teams/download-app> | Join on the web<https://www.microsoft.com/microsoft-teams/join-a-meeting>
Learn More<https://aka.ms/JoinTeamsMeeting> | Meeting options<https://teams.microsoft.com/meetingOptions/>
________________________________________________________________________________
"""
    htm = """<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Exchange Server">
<style><!-- .EmailQuote { margin-left: 1pt; padding-left: 4pt; border-left: #800000 2px solid; } --></style>
</head>
<body>
<div style="font-family:Aptos,Aptos_EmbeddedFont,Aptos_MSFontService,Calibri,Helvetica,sans-serif;font-size:12pt;color:rgb(0,0,0)">Hi all,</div>
<div style="font-family:Aptos,Calibri,Helvetica,sans-serif;font-size:12pt;color:rgb(0,0,0)"><br></div>
<div style="font-family:Aptos,Calibri,Helvetica,sans-serif;font-size:12pt;color:rgb(0,0,0)">Let's go through the Q1 numbers before they go to the board. Please bring your department's forecast.</div>
<div style="font-family:Aptos,Calibri,Helvetica,sans-serif;font-size:12pt;color:rgb(0,0,0)"><br></div>
<div style="font-family:Aptos,Calibri,Helvetica,sans-serif;font-size:12pt;color:rgb(0,0,0)">Helen</div>
<br>
<div style="width:100%"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36">________________________________________________________________________________</span></div>
<div class="me-email-text" lang="en-GB" style="color:#242424;font-family:'Segoe UI','Helvetica Neue',Helvetica,Arial,sans-serif">
<div style="margin-top:24px;margin-bottom:20px"><span style="font-size:24px;color:#252424">Microsoft Teams meeting</span></div>
<div style="margin-bottom:20px"><div style="margin-top:0px;margin-bottom:0px;font-weight:bold"><span style="font-size:14px;color:#252424">Join on your computer, mobile app or room device</span></div>
<a class="me-email-headline" href="https://teams.microsoft.com/l/meetup-join/19%3ameeting_MID%40thread.v2/0" target="_blank" rel="noreferrer noopener" style="font-size:14px;font-family:'Segoe UI Semibold','Segoe UI';text-decoration:underline;color:#6264a7">Click here to join the meeting</a></div>
<div style="margin-bottom:20px;margin-top:20px"><div style="margin-bottom:4px"><span style="font-size:14px;color:#252424">Meeting ID: <span style="font-size:16px;color:#252424">371 604 552 118</span></span><br>
<span style="font-size:14px;color:#252424">Passcode: </span><span style="font-size:16px;color:#252424">Zk7uV2</span></div></div>
<div style="margin-bottom:24px;margin-top:20px"><a href="https://www.microsoft.com/en-us/microsoft-teams/download-app" style="font-size:14px;text-decoration:underline;color:#6264a7">Download Teams</a> | <a href="https://www.microsoft.com/microsoft-teams/join-a-meeting" style="font-size:14px;text-decoration:underline;color:#6264a7">Join on the web</a></div>
</div>
<div style="font-size:14px;margin-bottom:4px;font-family:'Segoe UI','Helvetica Neue',Helvetica,Arial,sans-serif"></div>
</body>
</html>
""".replace("MID", alnum("t22m", 40))
    body = multi("alternative", [text(txt, cte="quoted-printable"), text(htm, "html", cte="quoted-printable"),
                                 text(cal, "calendar", cte="base64", ctype_extra="; method=REQUEST")], "t22", "outlook")
    add("t22-outlook-teams-invitation", "transactional", frm=addr("Helen Ashworth", "helen.ashworth@example.net"),
        to=fold([who("sam"), who("jo"), who("priya")]), rcpt="sam@example.net", subject="Q1 budget review", date=d,
        msgid=f"<{alnum('t22', 46)}@DB9PR02MB7164.eurprd02.prod.outlook.com>", body=body,
        mailfrom="helen.ashworth@example.net", ip="40.107.22.119", helo="EUR05-DB8-obe.outbound.protection.outlook.com",
        rdns="mail-db8eur05on2119.outbound.protection.outlook.com", dkim=[("example.net", "selector1")], arc=("microsoft.com", "arcselector10001"),
        inner=[f"from DB9PR02MB7164.eurprd02.prod.outlook.com ([fe80::3c1e:9a2:7b41:c0de]) by\n DB9PR02MB7164.eurprd02.prod.outlook.com ([fe80::3c1e:9a2:7b41:c0de%4]) with mapi id\n 15.20.8769.017; {rfcdate(d)}"],
        headers=[("Thread-Topic", "Q1 budget review"), ("Thread-Index", "Ado" + b64s("t22ti", 18)), ("Accept-Language", "en-GB, en-US"),
                 ("Content-Language", "en-GB")],
        after=[("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", ""), ("X-MS-Exchange-Organization-AuthAs", "Internal")])


def t23_gandi_fr():
    d = when(8, 3, 15, 9, 60)
    txt = """Bonjour Marie Dubois,

Le renouvellement automatique de votre nom de domaine a bien été
effectué.

    Domaine :            atelier-dubois.fr
    Renouvelé pour :     1 an
    Nouvelle échéance :  12/11/2027
    Montant :            16,79 € TTC (prélevé sur la carte Visa ****0456)

La facture correspondante est disponible dans votre interface, rubrique
« Facturation » :
https://admin.gandi.net/billing/invoices

Vous n'avez rien d'autre à faire. Les services associés à ce domaine
(DNS, boîtes e-mail, redirections web) continuent de fonctionner sans
interruption.

Pour désactiver le renouvellement automatique, rendez-vous sur la page
du domaine :
https://admin.gandi.net/domain/atelier-dubois.fr/renewal

Cordialement,
L'équipe Gandi

--
Gandi SAS - 63-65 boulevard Massena - 75013 Paris - France
Ce message concerne un service auquel vous avez souscrit ; il ne s'agit
pas d'un message commercial.
"""
    add("t23-gandi-renouvellement-fr", "transactional", frm=addr("Gandi", "noreply@gandi.net"), to=who("marie"),
        subject="[Gandi] Renouvellement effectué : atelier-dubois.fr", date=d, msgid=f"<{digits('t23', 17)}.{hexs('t23a', 12)}@gandi.net>",
        body=text(txt, cte="quoted-printable"), mailfrom="bounce-renew@gandi.net", ip="217.70.178.222", helo="relay2-d.mail.gandi.net",
        dkim=[("gandi.net", "gm1")], lang="fr",
        inner=[f"from notification-api-7f9c5d (unknown [10.200.201.17])\n\tby relay2-d.mail.gandi.net (Postfix) with ESMTP id {alnum('t23q', 11)}\n\tfor <marie.dubois@example.net>; {rfcdate(d)}"],
        after=[("Auto-Submitted", "auto-generated"), ("X-Gandi-Notification", "domain.renew.success")])


def t24_ikea_refund():
    d = when(23, 16, 48, 52)
    st = dict(font="'Noto IKEA','Noto Sans',Roboto,'Helvetica Neue',Arial,sans-serif", accent="#0058a3", color="#111111", muted="#484848", bg="#ffffff")
    blocks = [
        ("h1", "We've processed your refund"),
        ("p", "Hej Sam, we've received your returned items and your refund is on its way. Depending on your bank, it can take 3–5 working days to show on your statement."),
        ("kv", [("Return number", "RTN-GB-3388104"), ("Original order", "1194503375"), ("Refunded to", "Mastercard ending 5531")]),
        ("items", [("KALLAX shelving unit, white, 77x147 cm (damaged corner)", 1, "£60.00"), ("SKÅDIS pegboard, white, 56x56 cm", 2, "£30.00")],
         [("Delivery refund", "£0.00"), ("Total refunded", "£90.00")]),
        ("p", "Thanks for letting us know about the damaged shelf. We've passed your photos on to our quality team."),
        ("btn", "View your order", utm("https://order.ikea.com/gb/en/purchases/1194503375", "ikea", "refund_processed")),
    ]
    footer = ["IKEA Limited, 1 Alfred Mann Way, Wembley, HA9 0JL. Registered in England No. 01986283.",
              "This is a service message about your order. [Privacy policy](https://www.ikea.com/gb/en/customer-service/privacy-policy/)"]
    htm = shop("IKEA", st, "£90.00 is on its way back to you", blocks, foot(footer), logo="https://www.ikea.com/global/assets/logos/brand/ikea.svg",
               pixel=f"https://e.ikea.com/o/{alnum('t24p', 30)}", header_bg="#0058a3")
    add("t24-ikea-refund-processed", "transactional", frm=addr("IKEA", "noreply@order.ikea.com"), to=who("sam"),
        subject="Your refund of £90.00 has been processed", date=d, msgid=f"<{hexs('t24', 24)}@order.ikea.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t24", "java"),
        mailfrom=f"bounce-{hexs('t24b', 10)}@order.ikea.com", ip="13.111.67.211", helo="mta4.order.ikea.com", dkim=[("order.ikea.com", "200608")],
        after=[("X-SFMC-Stack", "50"), ("x-job", "510009281_2271993")])


def t25_ticketmaster():
    d = when(13, 10, 1, 17)
    st = dict(font="'Averta','Helvetica Neue',Helvetica,Arial,sans-serif", accent="#024ddf", color="#121212", muted="#646464", bg="#f6f6f6")
    blocks = [
        ("h1", "You're in! Your order is confirmed."),
        ("p", "Hi Joseph, thanks for your order. Your tickets are mobile tickets: they'll be in the Ticketmaster app and on your account, ready to scan at the door."),
        ("kv", [("Event", "Nils Frahm – Live 2027"), ("Venue", "Barbican Hall, London"), ("Date", "Sat 13 Mar 2027, 19:30"),
                ("Seats", "Stalls, Row K, Seats 21–22"), ("Order number", "33-41925/LON")]),
        ("items", [("Standard ticket", 2, "£92.00"), ("Service fee", 2, "£9.50"), ("Order processing fee", 1, "£2.75")], [("Total", "£104.25")]),
        ("btn", "View my tickets", utm("https://www.ticketmaster.co.uk/user/order/33-41925/view", "ticketmaster", "order_confirmation")),
        ("small", "Screenshots of tickets won't be accepted: the barcode refreshes in the app. Please don't share or resell your tickets outside Ticketmaster."),
    ]
    footer = ["Ticketmaster UK Limited, 30 St John Street, London EC1M 4AY. Registered in England No. 02662632.",
              "You are receiving this because you bought tickets on ticketmaster.co.uk."]
    htm = shop("Ticketmaster", st, "Nils Frahm, Barbican Hall, Sat 13 Mar 2027", blocks, foot(footer), logo="https://s1.ticketm.net/tm/en-gb/img/email/tm-logo.png",
               pixel=f"https://click.email.ticketmaster.co.uk/open.aspx?ffcb10-{hexs('t25p', 16)}-{hexs('t25q', 8)}", header_bg="#024ddf")
    add("t25-ticketmaster-order", "transactional", frm=addr("Ticketmaster", "customer_support@email.ticketmaster.co.uk"), to=who("jo"),
        subject="You got tickets to Nils Frahm – Live 2027", date=d, msgid=f"<{hexs('t25', 8)}-{hexs('t25a', 4)}-{hexs('t25b', 4)}-{hexs('t25c', 4)}-{hexs('t25d', 12)}@atl1s07mta1712.xt.local>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t25", "java"),
        mailfrom=f"bounce-1771_HTML-{digits('t25b', 9)}-{digits('t25c', 7)}-7247391-9@bounce.email.ticketmaster.co.uk", ip="13.111.49.48", helo="mta48.email.ticketmaster.co.uk",
        dkim=[("email.ticketmaster.co.uk", "200608")], after=[("x-job", "7247391_3884021"), ("X-SFMC-Stack", "7")])


def t26_eventbrite_ics():
    d = when(26, 17, 29, 40)
    uid = f"event-1188472301845-{hexs('t26u', 10)}@eventbrite.com"
    cal = ics(uid, "Introduction to Letterpress Printing", "20261212T100000", "20261212T130000", ("Hackney Print Studio", "noreply@eventbrite.com"),
              [("Priya Raman", "priya.raman@example.net")], location="Hackney Print Studio, Unit 4, 28 Cremer Street, London E2 8HD",
              description="A hands-on morning: set your own type and print a small run of cards to take home. All materials included.", method="PUBLISH", tzid="Europe/London",
              prodid="-//Eventbrite//Eventbrite Calendar//EN")
    st = dict(font="'Neue Plak','Helvetica Neue',Helvetica,Arial,sans-serif", accent="#d1410c", color="#1e0a3c", muted="#6f7287", bg="#f8f7fa")
    blocks = [
        ("h1", "You're going to Introduction to Letterpress Printing"),
        ("kv", [("Order", "#11923488201"), ("Date", "Saturday, 12 December 2026, 10:00 – 13:00 GMT"), ("Location", "Hackney Print Studio, 28 Cremer Street, London E2 8HD"),
                ("Tickets", "1 x Workshop place (£55.00)")]),
        ("btn", "View tickets", "https://www.eventbrite.co.uk/mytickets/11923488201"),
        ("p", "**From the organiser:** please wear clothes you don't mind getting a little ink on. Tea, coffee and biscuits are on us. The studio is up one flight of stairs; get in touch if you need step-free access and we'll sort it."),
        ("small", "A calendar file is attached. Questions about the event? [Contact the organiser](https://www.eventbrite.co.uk/e/1188472301845#organizer)."),
    ]
    footer = ["This email was sent to priya.raman@example.net", "Eventbrite, 535 Mission Street, 8th Floor, San Francisco, CA 94105"]
    htm = shop("Eventbrite", st, "Your order #11923488201 for Sat 12 Dec", blocks, foot(footer), logo="https://cdn.evbstatic.com/s3-build/perm_001/email/eventbrite-logo.png",
               pixel=f"https://email.eventbrite.com/o/{alnum('t26p', 40)}")
    body = multi("mixed", [alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "t26", "sg", html_cte="base64"),
                           attach("text/calendar", cal.encode(), "event.ics", extra=())], "t26", "sg")
    add("t26-eventbrite-ticket-ics", "transactional", frm=addr("Eventbrite", "noreply@order.eventbrite.com"), to=who("priya"),
        subject="Your tickets for Introduction to Letterpress Printing", date=d, msgid=f"<{alnum('t26', 22)}@ismtpd0018p1lon1.sendgrid.net>",
        body=body, mailfrom="bounces+11292-ee81-priya.raman=example.net@order.eventbrite.com", ip="149.72.220.41", helo="o2.order.eventbrite.com",
        dkim=[("order.eventbrite.com", "s1")], headers=[("Reply-To", addr("Hackney Print Studio", "organizer+1188472301845@reply.eventbrite.com"))],
        after=[("X-SG-EID", b64s("t26sg", 80))])

# ================================================================ notifications

def n01_github_review():
    d = when(18, 15, 52, 11, -480)
    repo, pr = "tokio-rs/axum", 3217
    txt = f"""@davidpdrsn commented on this pull request.

> +    /// Returns the matched path of the request, if any.
> +    ///
> +    /// This is `None` for fallback handlers.
> +    pub fn matched_path(&self) -> Option<&str> {{

Could this return `Option<&MatchedPath>` instead? Then callers who need
the `Arc<str>` can clone it cheaply, and we keep one type for "the path
that matched" across extractors and middleware.

Otherwise this looks good to me. Can you add an entry to
`axum/CHANGELOG.md` under "Unreleased"?

--
Reply to this email directly, view it on GitHub:
https://github.com/{repo}/pull/{pr}#discussion_r{digits('n01r', 10)}
You are receiving this because you authored the thread.

Message ID: <{repo}/pull/{pr}/review/{digits('n01m', 10)}@github.com>
"""
    htm = f"""<p></p>
<p><b>@davidpdrsn</b> commented on this pull request.</p>

<hr>

<p>In <a href="https://github.com/{repo}/pull/{pr}#discussion_r{digits('n01r', 10)}">axum/src/extract/request_parts.rs</a>:</p>
<pre style='color:#555'>&gt; +    /// Returns the matched path of the request, if any.
&gt; +    ///
&gt; +    /// This is `None` for fallback handlers.
&gt; +    pub fn matched_path(&amp;self) -&gt; Option&lt;&amp;str&gt; {{
</pre>
<p>Could this return <code class="notranslate">Option&lt;&amp;MatchedPath&gt;</code> instead? Then callers who need the <code class="notranslate">Arc&lt;str&gt;</code> can clone it cheaply, and we keep one type for "the path that matched" across extractors and middleware.</p>
<p>Otherwise this looks good to me. Can you add an entry to <code class="notranslate">axum/CHANGELOG.md</code> under "Unreleased"?</p>

<p style="font-size:small;-webkit-text-size-adjust:none;color:#666;">&mdash;<br />Reply to this email directly, <a href="https://github.com/{repo}/pull/{pr}#discussion_r{digits('n01r', 10)}">view it on GitHub</a>, or <a href="https://github.com/notifications/unsubscribe-auth/A{alnum('n01u', 25).upper()}">unsubscribe</a>.<br />You are receiving this because you authored the thread.<img src="https://github.com/notifications/beacon/A{alnum('n01b', 40).upper()}.gif" height="1" width="1" alt="" /><span style="color: transparent; font-size: 0; display: none; visibility: hidden; overflow: hidden; opacity: 0; width: 0; height: 0; max-width: 0; max-height: 0; mso-hide: all">Message ID: <span>&lt;{repo}/pull/{pr}/review/{digits('n01m', 10)}</span><span>@</span><span>github</span><span>.</span><span>com&gt;</span></span></p>
<script type="application/ld+json">[
{{
"@context": "http://schema.org",
"@type": "EmailMessage",
"potentialAction": {{
"@type": "ViewAction",
"target": "https://github.com/{repo}/pull/{pr}#discussion_r{digits('n01r', 10)}",
"url": "https://github.com/{repo}/pull/{pr}#discussion_r{digits('n01r', 10)}",
"name": "View Pull Request"
}},
"description": "View this Pull Request on GitHub",
"publisher": {{
"@type": "Organization",
"name": "GitHub",
"url": "https://github.com"
}}
}}
]</script>
"""
    body = multi("alternative", [text(txt, cte="7bit"), text(htm, "html", cte="7bit")], "n01", "plain")
    add("n01-github-pr-review-comment", "notification", frm=addr("David Pedersen", "notifications@github.com"),
        to=addr("tokio-rs/axum", "axum@noreply.github.com"), rcpt="tomasz.nowak@example.net",
        subject=f"Re: [tokio-rs/axum] Add `RequestParts::matched_path` (PR #{pr})", date=d,
        msgid=f"<{repo}/pull/{pr}/review/{digits('n01m', 10)}@github.com>", body=body,
        mailfrom=f"noreply@github.com", ip="192.30.252.209", helo="out-26.smtp.github.com", dkim=[("github.com", "pf2023")],
        from_dom="github.com",
        headers=[("Reply-To", f"tokio-rs/axum <reply+A{alnum('n01rt', 60).upper()}@reply.github.com>"),
                 ("In-Reply-To", f"<{repo}/pull/{pr}@github.com>"), ("References", f"<{repo}/pull/{pr}@github.com>"),
                 ("Cc", addr("Tomasz Nowak", "tomasz.nowak@example.net") + ", Author <author@noreply.github.com>")],
        after=[("Precedence", "list"), ("X-GitHub-Sender", "davidpdrsn"), ("X-GitHub-Recipient", "tnowak-dev"), ("X-GitHub-Reason", "author"),
               ("List-ID", "tokio-rs/axum <axum.tokio-rs.github.com>"), ("List-Archive", "https://github.com/tokio-rs/axum"),
               ("List-Post", f"<mailto:reply+A{alnum('n01rt', 60).upper()}@reply.github.com>"),
               ("List-Unsubscribe", f"<mailto:unsub+A{alnum('n01rt', 60).upper()}@reply.github.com>,\n <https://github.com/notifications/unsubscribe/A{alnum('n01u', 25).upper()}>"),
               ("X-Auto-Response-Suppress", "All"), ("X-GitHub-Recipient-Address", "tomasz.nowak@example.net"), ("X-GitHub-Notify-Platform", "newsies")])


def n02_gitlab_pipeline():
    d = when(4, 11, 26, 58, 60)
    url = "https://gitlab.com/kestrel-maps/tile-server/-/pipelines/1558204716"
    txt = f"""GitLab

Your pipeline has failed.

Project     kestrel-maps / tile-server
Branch      feature/vector-tile-cache
Commit      8f3c2d1a  Cache rendered tiles by style hash
            Commit Author Lena Hoffmann
Pipeline    #1558204716 triggered by Lena Hoffmann

had 1 failed job

  test: integration      Stage: test      Name: integration

    ---- tiles::cache::evicts_oldest_first stdout ----
    thread 'tiles::cache::evicts_oldest_first' panicked at src/tiles/cache.rs:212:9:
    assertion `left == right` failed
      left: 3
     right: 2

View pipeline: {url}

You're receiving this email because of your account on gitlab.com.
Manage all notifications: https://gitlab.com/-/profile/notifications
Help: https://gitlab.com/help
"""
    htm = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.0 Transitional//EN" "http://www.w3.org/TR/REC-html40/loose.dtd">
<html lang="en">
<head>
<meta content="text/html; charset=UTF-8" http-equiv="Content-Type">
<meta content="width=device-width, initial-scale=1" name="viewport">
<title>kestrel-maps | Failed pipeline for feature/vector-tile-cache | 8f3c2d1a</title>
<style>body,table,td,a{{-webkit-text-size-adjust:100%;-ms-text-size-adjust:100%}} table,td{{mso-table-lspace:0pt;mso-table-rspace:0pt}} img{{-ms-interpolation-mode:bicubic}}</style>
</head>
<body style="background-color:#fafafa;margin:0;padding:0;text-align:left;min-width:640px;width:100%;height:100%;font-family:'GitLab Sans',-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,sans-serif;">
<table border="0" cellpadding="0" cellspacing="0" id="body" style="background-color:#fafafa;width:100%;height:100%;">
<tr class="line"><td style="font-family:'GitLab Sans',sans-serif;height:4px;font-size:4px;line-height:4px;background-color:#e24329;"></td></tr>
<tr class="header"><td style="font-family:'GitLab Sans',sans-serif;font-size:13px;line-height:1.6;color:#5c5c5c;padding:25px 0;"><img alt="GitLab" height="33" src="https://gitlab.com/assets/mailers/gitlab_logo-2957169c8ef64c58616a1ac3f4fc626e8a35ce4eb3ed31bb0d873712f2a041a0.png" width="90"></td></tr>
<tr><td style="font-family:'GitLab Sans',sans-serif;">
<table border="0" cellpadding="0" cellspacing="0" class="wrapper" style="width:640px;margin:0 auto;border-collapse:separate;border-spacing:0;">
<tr><td class="wrapper-cell" style="font-family:'GitLab Sans',sans-serif;background-color:#ffffff;text-align:left;padding:18px 25px;border:1px solid #ededed;border-radius:3px;">
<table border="0" cellpadding="0" cellspacing="0" style="width:100%;">
<tr class="alert"><td style="font-family:'GitLab Sans',sans-serif;padding:8px 16px;border-radius:3px;font-size:14px;line-height:1.3;text-align:center;overflow:hidden;background-color:#d22f57;color:#ffffff;">Your pipeline has failed.</td></tr>
<tr class="spacer"><td style="height:18px;font-size:18px;line-height:18px;">&nbsp;</td></tr>
<tr class="section"><td style="font-family:'GitLab Sans',sans-serif;padding:0 15px;border:1px solid #ededed;border-radius:3px;overflow:hidden;">
<table border="0" cellpadding="0" cellspacing="0" class="table-info" style="width:100%;">
<tr><td style="font-size:15px;line-height:1.4;color:#8c8c8c;font-weight:300;padding:14px 0;margin:0;">Project</td><td style="font-size:15px;line-height:1.4;color:#333333;font-weight:500;padding:14px 0 14px 5px;"><a href="https://gitlab.com/kestrel-maps" style="color:#333333;text-decoration:none;">kestrel-maps</a> / <a href="https://gitlab.com/kestrel-maps/tile-server" style="color:#333333;text-decoration:none;">tile-server</a></td></tr>
<tr><td style="font-size:15px;line-height:1.4;color:#8c8c8c;font-weight:300;padding:14px 0;border-top:1px solid #ededed;">Branch</td><td style="font-size:15px;line-height:1.4;color:#333333;font-weight:500;padding:14px 0 14px 5px;border-top:1px solid #ededed;"><a href="https://gitlab.com/kestrel-maps/tile-server/-/commits/feature/vector-tile-cache" style="color:#333333;text-decoration:none;">feature/vector-tile-cache</a></td></tr>
<tr><td style="font-size:15px;line-height:1.4;color:#8c8c8c;font-weight:300;padding:14px 0;border-top:1px solid #ededed;">Commit</td><td style="font-size:15px;line-height:1.4;color:#333333;font-weight:400;padding:14px 0 14px 5px;border-top:1px solid #ededed;"><a href="https://gitlab.com/kestrel-maps/tile-server/-/commit/8f3c2d1a{hexs('n02c', 32)}" style="color:#3777b0;text-decoration:none;">8f3c2d1a</a><div>Cache rendered tiles by style hash</div></td></tr>
<tr><td style="font-size:15px;line-height:1.4;color:#8c8c8c;font-weight:300;padding:14px 0;border-top:1px solid #ededed;">Pipeline</td><td style="font-size:15px;line-height:1.4;color:#333333;font-weight:500;padding:14px 0 14px 5px;border-top:1px solid #ededed;"><a href="{url}" style="color:#3777b0;text-decoration:none;">#1558204716</a> triggered by Lena Hoffmann</td></tr>
</table></td></tr>
<tr class="spacer"><td style="height:18px;font-size:18px;line-height:18px;">&nbsp;</td></tr>
<tr class="table-warning"><td style="font-family:'GitLab Sans',sans-serif;color:#333333;font-size:15px;font-weight:400;line-height:1.4;padding:15px 5px;text-align:center;">had 1 failed job</td></tr>
<tr><td style="font-family:Menlo,Consolas,monospace;font-size:12px;line-height:1.5;color:#333333;background-color:#f6f6f6;padding:12px;white-space:pre;">---- tiles::cache::evicts_oldest_first stdout ----
thread 'tiles::cache::evicts_oldest_first' panicked at src/tiles/cache.rs:212:9:
assertion `left == right` failed
  left: 3
 right: 2</td></tr>
</table></td></tr></table></td></tr>
<tr class="footer"><td style="font-family:'GitLab Sans',sans-serif;font-size:13px;line-height:1.6;color:#5c5c5c;padding:25px 0;text-align:center;">
<img alt="GitLab" height="33" src="https://gitlab.com/assets/mailers/gitlab_footer_logo-078860f148cc9596195e6bb3fa7db31c30538355576c5c3b569c414902abd8.png" width="90" style="display:block;margin:0 auto 1em;">
<div>You're receiving this email because of your account on gitlab.com. <a href="https://gitlab.com/-/profile/notifications" style="color:#3777b0;text-decoration:none;">Manage all notifications</a> &middot; <a href="https://gitlab.com/help" style="color:#3777b0;text-decoration:none;">Help</a></div>
</td></tr>
</table>
</body>
</html>
"""
    add("n02-gitlab-pipeline-failed", "notification", frm=addr("GitLab", "gitlab@mg.gitlab.com"), to=who("lena"),
        subject="kestrel-maps | Failed pipeline for feature/vector-tile-cache | 8f3c2d1a", date=d,
        msgid=f"<{hexs('n02', 32)}_{digits('n02a', 10)}@gitlab.com>",
        body=alt(txt, htm, "n02", "plain", html_cte="quoted-printable"), mailfrom="bounce+0a8a2d.1d2f55-lena.hoffmann=example.net@mg.gitlab.com",
        ip="69.72.37.173", helo="mail-173.mg.gitlab.com", dkim=[("mg.gitlab.com", "mailo")], from_dom="mg.gitlab.com",
        headers=[("Reply-To", addr("GitLab", "noreply@gitlab.com"))],
        after=[("Auto-Submitted", "auto-generated"), ("X-Auto-Response-Suppress", "All"), ("X-GitLab-Project", "tile-server"),
               ("X-GitLab-Project-Id", "48215077"), ("X-GitLab-Project-Path", "kestrel-maps/tile-server"), ("X-GitLab-Pipeline-Id", "1558204716"),
               ("X-GitLab-Pipeline-Ref", "feature/vector-tile-cache"), ("X-GitLab-Pipeline-Status", "failed"),
               ("List-Id", "kestrel-maps/tile-server <48215077.tile-server.kestrel-maps.gitlab.com>"),
               ("X-Mailgun-Sid", b64s("n02s", 54).rstrip("=")), ("X-GitLab-NotificationReason", "own_activity")])


def n03_jira_assigned():
    d = when(10, 9, 17, 30)
    st = dict(font="-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Oxygen,Ubuntu,'Fira Sans','Droid Sans','Helvetica Neue',sans-serif", accent="#0c66e4", color="#172b4d", muted="#626f86", bg="#ffffff")
    url = "https://harbourline.atlassian.net/browse/OPS-1142?atlOrigin=eyJpIjoiNDYxZjA4ZTEiLCJwIjoiaiJ9"
    blocks = [
        ("p", "**Mei Tanaka** assigned this issue to you"),
        ("h1", "OPS-1142: Renew TLS certificate for vpn.example.net before 4 December"),
        ("kv", [("Status", "TO DO"), ("Priority", "High"), ("Assignee", "Joseph Okafor"), ("Reporter", "Mei Tanaka"), ("Due date", "01/Dec/26")]),
        ("p", "The current certificate on the VPN concentrator expires on 4 December. The ACME client there was never set up, so this one has to be done by hand again. Steps from last year are in the runbook: [VPN certificate renewal](https://harbourline.atlassian.net/wiki/spaces/OPS/pages/229441537)."),
        ("btn", "View issue", url),
    ]
    footer = ["Get Jira notifications on your phone! Download the Jira Cloud app for [Android](https://play.google.com/store/apps/details?id=com.atlassian.android.jira.core) or [iOS](https://apps.apple.com/app/jira-cloud/id1006972087).",
              "[Manage notifications](https://harbourline.atlassian.net/jira/settings/personal/notifications) · [Give feedback](https://www.atlassian.com/company/contact) · [Privacy policy](https://www.atlassian.com/legal/privacy-policy)",
              "This message was sent by Atlassian Jira (v1001.0.0-SNAPSHOT#100284-sha1:3b1d6e2)"]
    htm = card("Jira", st, "Mei Tanaka assigned OPS-1142 to you", blocks, foot(footer), pixel=f"https://harbourline.atlassian.net/rest/analytics/1.0/email/open?token={alnum('n03p', 40)}")
    add("n03-jira-issue-assigned", "notification", frm=addr("Mei Tanaka (Jira)", "jira@harbourline.atlassian.net"), to=who("jo"),
        subject="[JIRA] Mei Tanaka assigned OPS-1142 to you", date=d, msgid=f"<JIRA.{digits('n03', 6)}.{digits('n03a', 13)}@Atlassian.JIRA>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "n03", "java"), mailfrom=f"jira@e.atlassian.net",
        ip="104.192.142.12", helo="mail-sor-d12.atlassian.net", dkim=[("atlassian.net", "sdfk1")], from_dom="harbourline.atlassian.net",
        dmarc="p=NONE sp=NONE dis=NONE",
        headers=[("In-Reply-To", f"<JIRA.{digits('n03', 6)}.1794384000000@Atlassian.JIRA>")],
        after=[("Auto-Submitted", "auto-generated"), ("Precedence", "bulk"), ("X-JIRA-FingerPrint", hexs("n03f", 32)),
               ("X-Atl-Mail-Type", "issue_assigned")])


def n04_slack_digest():
    d = when(19, 18, 0, 4)
    st = dict(font="Slack-Lato,Lato,'Helvetica Neue',Helvetica,Arial,sans-serif", accent="#611f69", color="#1d1c1d", muted="#616061", bg="#ffffff")
    blocks = [
        ("h1", "You have 4 unread messages in Harbourline"),
        ("p", "Hi Sam, here's what you missed while you were away."),
        ("h2", "#office-london"),
        ("quote", "**Eleanor Price** 14:12 — Heads up: the lifts are out of service tomorrow morning from 8 till 10 for the annual inspection."),
        ("quote", "**Dev Patel** 14:20 — Who borrowed the HDMI adapter from room 3.01? No judgement, just need it for a 4pm call 🙏"),
        ("h2", "Direct message from Joseph Okafor"),
        ("quote", "**Joseph Okafor** 16:48 — Could you sanity-check the numbers on slide 7 before tomorrow? No rush tonight."),
        ("quote", "**Joseph Okafor** 16:49 — Link: [Q1 budget deck](https://harbourline.slack.com/files/U04JOKAFOR/F07Q1DECK/q1_budget_v3.pptx)"),
        ("btn", "Open Slack", "https://harbourline.slack.com/messages"),
    ]
    footer = ["You're receiving this email because you have unread messages. To change how often you get these, [update your notification preferences](https://harbourline.slack.com/account/notifications).",
              "Made by Slack Technologies, LLC · 500 Howard Street · San Francisco, CA 94105"]
    htm = card("slack", st, "4 unread messages from #office-london and Joseph Okafor", blocks, foot(footer), pixel=f"https://slack.com/emails/pixel/{alnum('n04p', 48)}")
    add("n04-slack-unread-digest", "notification", frm=addr("Slack", "feedback@slack.com"), to=who("sam"),
        subject="[Slack] Notifications from the Harbourline workspace", date=d, msgid=f"<{hexs('n04', 8)}-{hexs('n04a', 4)}-{hexs('n04b', 4)}-{hexs('n04c', 4)}-{hexs('n04d', 12)}@slack.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "n04", "ses", html_cte="quoted-printable"),
        mailfrom=f"010001{hexs('n04b2', 10)}-{hexs('n04b3', 8)}-000000@amazonses.com", ip="54.240.11.99", helo="a11-99.smtp-out.amazonses.com",
        dkim=[("slack.com", "c5y7d4cmhu6f4w7ghrs3bq6hw7gbrd6v"), ("amazonses.com", "224i4yxa5dv7c2xz3womw6peuasteono")],
        after=[("X-Slack-Notification", "digest"), ("Feedback-ID", "1.us-east-1.K5Lgk6W2bE4fWgd9T5yZbLxpD6q3NHmCZu1p7k9zE8I=:AmazonSES"),
               ("X-SES-Outgoing", "2026.11.19-54.240.11.99")] + unsub("https://harbourline.slack.com/account/notifications/unsubscribe?t=" + alnum("n04u", 32), post=True))


def n05_teams_missed():
    d = when(12, 16, 40, 21, 60)
    st = dict(font="'Segoe UI','Segoe UI Web (West European)',-apple-system,BlinkMacSystemFont,Roboto,'Helvetica Neue',sans-serif", accent="#5b5fc7", color="#242424", muted="#616161", bg="#f5f5f5")
    blocks = [
        ("h1", "Giulia, your teammates are trying to reach you in Microsoft Teams"),
        ("p", "**Marco Bellini** sent a message in **Progetto Vetrina › General**"),
        ("quote", "Giulia, can you confirm the printer has the final artwork for the window display? They're asking for it by Friday."),
        ("p", "**Chiara Ferri** mentioned you in a chat"),
        ("quote", "@Giulia Conti the supplier sent the revised quote, it's in the Files tab."),
        ("btn", "Open Microsoft Teams", "https://teams.microsoft.com/l/chat/0/0?tenantId=" + f"{hexs('n05t', 8)}-{hexs('n05u', 4)}-{hexs('n05v', 4)}-{hexs('n05w', 4)}-{hexs('n05x', 12)}"),
    ]
    footer = ["[Install Microsoft Teams now](https://aka.ms/getteams) · iOS · Android",
              "This email was sent from an unmonitored mailbox. Update your email preferences in Teams: Settings > Notifications.",
              "© 2026 Microsoft Corporation, One Microsoft Way, Redmond WA 98052"]
    htm = card("Microsoft Teams", st, "Marco Bellini and Chiara Ferri sent messages", blocks, foot(footer))
    add("n05-teams-missed-activity", "notification", frm=addr("Microsoft Teams", "noreply@email.teams.microsoft.com"), to=who("giulia"),
        subject="You have 2 new messages and 1 mention in Teams", date=d, msgid=f"<{hexs('n05', 32)}@odspnotify>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "n05", "outlook", html_cte="base64"),
        mailfrom="noreply@email.teams.microsoft.com", ip="52.100.153.214", helo="NAM02-BN1-obe.outbound.protection.outlook.com",
        rdns="mail-bn1nam02on2214.outbound.protection.outlook.com", dkim=[("email.teams.microsoft.com", "selector1")], arc=("microsoft.com", "arcselector10001"),
        after=[("X-MS-Exchange-Organization-AuthAs", "Anonymous"), ("X-MS-PublicTrafficType", "Email")])


def n06_linkedin():
    d = when(21, 7, 33, 48)
    st = dict(font="-apple-system,system-ui,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue','Fira Sans',Ubuntu,Oxygen,sans-serif", accent="#0a66c2", color="#191919", muted="#666666", bg="#f3f2ef")
    tr = "https://www.linkedin.com/comm/mynetwork/invite-accept/?invitationId=7268841052937641984&sharedKey=" + alnum("n06k", 8) + "&midToken=AQH" + alnum("n06m", 24) + "&trk=eml-email_m2m_invite_single_01-hero-0-accept~cta"
    blocks = [
        ("p", "Hi Priya,"),
        ("p", "I'd like to join your LinkedIn network."),
        ("kv", [("Adaeze Nwosu", "Head of Operations at Greenline Logistics · London"), ("Mutual connections", "12, including Joseph Okafor")]),
        ("btn", "Accept", tr),
        ("p", "[View profile](https://www.linkedin.com/comm/in/adaeze-nwosu?midToken=AQH" + alnum("n06m", 24) + "&trk=eml-email_m2m_invite_single_01-hero-1-view~profile)"),
    ]
    footer = ["This email was intended for Priya Raman (Product Manager at Harbourline). [Learn why we included this.](https://www.linkedin.com/help/linkedin/answer/4788)",
              "You are receiving Invitation emails. [Unsubscribe](https://www.linkedin.com/comm/psettings/email-unsubscribe?lipi=urn%3Ali%3Apage%3Aemail_m2m&midToken=AQH" + alnum("n06m", 24) + ")",
              "© 2026 LinkedIn Corporation, 1000 West Maude Avenue, Sunnyvale, CA 94085. LinkedIn and the LinkedIn logo are registered trademarks of LinkedIn."]
    htm = card("LinkedIn", st, "Adaeze Nwosu wants to connect", blocks, foot(footer), pixel=f"https://www.linkedin.com/emimp/ip_{alnum('n06p', 40)}.gif")
    add("n06-linkedin-invitation", "notification", frm=addr("Adaeze Nwosu via LinkedIn", "invitations@linkedin.com"), to=addr("Priya Raman", "priya.raman@example.net"),
        subject="Priya, please add me to your LinkedIn network", date=d, msgid=f"<{digits('n06', 10)}.{digits('n06a', 5)}.{digits('n06b', 13)}@ltx1-app7215.prod.linkedin.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "n06", "java"),
        mailfrom=f"s-{alnum('n06s', 30)}@bounce.linkedin.com", ip="108.174.3.200", helo="mailb-da.linkedin.com", dkim=[("linkedin.com", "d2048-2")],
        headers=[("Reply-To", addr("Adaeze Nwosu", "reply-" + hexs("n06r", 24) + "@linkedin.com"))],
        after=[("X-LinkedIn-Class", "INVITE-GUEST"), ("X-LinkedIn-Template", "email_m2m_invite_single_01"), ("X-LinkedIn-fbl", hexs("n06f", 40)),
               ("X-LinkedIn-Id", alnum("n06i", 10))] + unsub("https://www.linkedin.com/comm/psettings/email-unsubscribe?lipi=urn%3Ali%3Apage%3Aemail_m2m&midToken=AQH" + alnum("n06m", 24) + "&loid=" + alnum("n06l", 20)))


def n07_school_app():
    d = when(5, 15, 45, 0)
    txt = """Stoke Newington Primary School has sent you a message on Arbor.

From: Ms R. Adeyemi (Year 4 - Hazel Class)

Subject: Year 4 trip to the Science Museum - Thursday 26 November

Dear Parents and Carers,

A reminder that Hazel Class are visiting the Science Museum on Thursday
26 November. We will leave school at 9:15 and be back by 3:00 for the
usual pick-up.

Please make sure your child brings:
- a packed lunch in a named, disposable bag (no glass or nuts, please)
- a waterproof coat
- a refillable water bottle

If you have not yet given consent for the trip, please do so in the
Arbor app by Monday 23 November. The voluntary contribution of £6 can
also be paid in the app.

We still need two parent volunteers to come with us. If you can help,
please reply to this message or speak to me at the classroom door.

Many thanks,
Ms Adeyemi

----------------------------------------------------------------------
View this message and reply in the Arbor app:
https://stokenewington-primary.uk.arbor.sc/guardians/messages/view/id/88417

You received this email because you are listed as a contact for a
student at Stoke Newington Primary School. To change how you receive
school messages, go to Settings in the Arbor app.
"""
    add("n07-school-app-trip-reminder", "notification", frm=addr("Stoke Newington Primary School", "no-reply@arbor-mail.co.uk"), to=who("anna"),
        subject="Message from Stoke Newington Primary School: Year 4 trip to the Science Museum", date=d,
        msgid=f"<{hexs('n07', 32)}@arbor-mail.co.uk>", body=text(txt, cte="7bit"),
        mailfrom="bounces+6612093-aa41-anna.berg=example.net@arbor-mail.co.uk", ip="167.89.33.207", helo="o15.arbor-mail.co.uk",
        dkim=[("arbor-mail.co.uk", "s1")], headers=[("Reply-To", addr("Ms R. Adeyemi", "reply+88417-" + hexs("n07r", 16) + "@messages.arbor.sc"))],
        after=[("X-SG-EID", b64s("n07sg", 70)), ("X-Entity-ID", alnum("n07e", 22))])


def n08_spond():
    d = when(24, 17, 2, 39, 60)
    st = dict(font="Roboto,'Helvetica Neue',Helvetica,Arial,sans-serif", accent="#009fe3", color="#222222", muted="#757575", bg="#eef3f6")
    blocks = [
        ("h1", "Training cancelled: Thursday U12"),
        ("p", "**Kasper Jansen** cancelled an event in **VV Zuidoost – JO12-2**"),
        ("kv", [("Event", "Training JO12-2"), ("When", "Thursday 26 November, 17:30 – 18:45"), ("Where", "Sportpark Gaasperdam, veld 3")]),
        ("quote", "Het veld is afgekeurd door de gemeente (te nat). Zaterdag spelen we gewoon de uitwedstrijd, verzamelen om 8:45 bij de kantine. Groet, Kasper"),
        ("btn", "Open in Spond", "https://spond.com/client/events/" + hexs("n08e", 32).upper()),
    ]
    footer = ["You are receiving this email because you are a guardian of a member in VV Zuidoost – JO12-2. [Email settings](https://spond.com/client/settings/notifications)",
              "Spond AS, Karenslyst allé 11, 0278 Oslo, Norway"]
    htm = card("Spond", st, "Thursday's training has been cancelled", blocks, foot(footer))
    add("n08-spond-training-cancelled", "notification", frm=addr("Kasper Jansen via Spond", "noreply@spond.com"), to=who("lucas"),
        subject="Cancelled: Training JO12-2, Thursday 26 November", date=d, msgid=f"<{hexs('n08', 16)}.{digits('n08a', 10)}@spond.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "n08", "sg"),
        mailfrom="bounces+4019273-de11-lucas.vandijk=example.net@mail.spond.com", ip="149.72.188.50", helo="o50.mail.spond.com",
        dkim=[("spond.com", "s1")], after=[("X-SG-EID", b64s("n08sg", 70))])


def n09_bank_statement():
    d = when(2, 6, 1, 8)
    st = dict(font="'Helvetica Neue',Helvetica,Arial,sans-serif", accent="#7433ff", color="#1c1c1c", muted="#6f6f6f", bg="#f2f2f2")
    blocks = [
        ("h1", "Your October statement is ready"),
        ("p", "Hi Joseph, your statement for your personal current account is now available in the app."),
        ("kv", [("Account", "Personal ••3301"), ("Statement period", "1 October – 31 October 2026")]),
        ("p", "For your security, we never attach statements to emails or include links that ask you to log in. To view or download it, open the Starling app and go to **Account > Statements**."),
        ("small", "Starling Bank Limited is registered in England and Wales (No. 09092149) at 3rd Floor, 2 Finsbury Avenue, London EC2M 2PP. Authorised by the Prudential Regulation Authority and regulated by the Financial Conduct Authority and the Prudential Regulation Authority."),
    ]
    footer = ["This is a service email. You'll receive it even if you've opted out of marketing."]
    htm = card("Starling Bank", st, "October statement for account ending 3301", blocks, foot(footer))
    add("n09-bank-statement-ready", "notification", frm=addr("Starling Bank", "help@starlingbank.com"), to=who("jo"),
        subject="Your October statement is ready", date=d, msgid=f"<{hexs('n09', 8)}-{hexs('n09a', 4)}-{hexs('n09b', 4)}-{hexs('n09c', 4)}-{hexs('n09d', 12)}@starlingbank.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "n09", "ses"),
        mailfrom=f"01020{hexs('n09m', 14)}-{hexs('n09n', 8)}-000000@eu-west-1.amazonses.com", ip="23.251.234.8", helo="e234-8.smtp-out.eu-west-1.amazonses.com",
        dkim=[("starlingbank.com", "sb1"), ("amazonses.com", "uku4taia5b5tsbglxyj6zym32efj7xqv")],
        after=[("Feedback-ID", "::1.eu-west-1.x9aW3fRkq8Dk0lY2uPqE4vBz7Ns1tHm5cJg6oLr0ZyA=:AmazonSES"), ("X-SES-Outgoing", "2026.11.02-23.251.234.8")])


def n10_doctolib_fr():
    d = when(23, 18, 0, 2, 60)
    st = dict(font="Montserrat,'Helvetica Neue',Helvetica,Arial,sans-serif", accent="#107aca", color="#1b2a4a", muted="#5e6e8a", bg="#eef3f9")
    blocks = [
        ("h1", "Rappel de votre rendez-vous"),
        ("p", "Bonjour Marie DUBOIS,"),
        ("p", "Nous vous rappelons votre rendez-vous **demain, mardi 24 novembre 2026 à 09h30** avec le **Dr Hélène Marchetti**, ophtalmologue."),
        ("kv", [("Adresse", "Centre médical Bellecour, 12 place Bellecour, 69002 Lyon"), ("Motif", "Consultation de suivi"), ("Accès", "Métro A/D – Bellecour, 2e étage avec ascenseur")]),
        ("p", "Pensez à apporter votre carte Vitale, votre ordonnance de lunettes actuelle et, le cas échéant, vos derniers examens."),
        ("btn", "Gérer mon rendez-vous", "https://www.doctolib.fr/account/appointments/" + digits("n10a", 10)),
        ("small", "Si vous ne pouvez pas vous rendre à ce rendez-vous, merci de l'annuler au plus tard 24 heures à l'avance afin de libérer le créneau pour un autre patient."),
    ]
    footer = ["Doctolib SAS, 54 quai Charles Pasqua, 92300 Levallois-Perret", "Cet e-mail vous est envoyé dans le cadre de votre prise de rendez-vous. [Confidentialité](https://www.doctolib.fr/terms/privacy)"]
    htm = card("Doctolib", st, "Demain à 09h30 avec le Dr Hélène Marchetti", blocks, foot(footer), lang="fr")
    add("n10-doctolib-rappel-rdv-fr", "notification", frm=addr("Doctolib", "no-reply@doctolib.fr"), to=who("marie"),
        subject="Rappel : votre rendez-vous demain à 09h30 avec le Dr Hélène Marchetti", date=d, msgid=f"<{hexs('n10', 24)}@doctolib.fr>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "n10", "plain", text_cte="quoted-printable"),
        mailfrom="bounce@mail.doctolib.fr", ip="52.210.88.17", helo="mail17.doctolib.fr", dkim=[("doctolib.fr", "dkim1")], lang="fr",
        after=[("X-Doctolib-Type", "appointment_reminder"), ("Auto-Submitted", "auto-generated")])


def n11_inpost_pl():
    d = when(27, 12, 19, 4, 60)
    st = dict(font="Montserrat,Arial,sans-serif", accent="#ffcd00", link="#1d1d1b", color="#1d1d1b", muted="#5f5f5f", bg="#f4f4f4")
    blocks = [
        ("h1", "Twoja paczka czeka w Paczkomacie®"),
        ("p", "Dzień dobry, paczka od **Empik S.A.** jest już w Paczkomacie. Odbierz ją w ciągu 48 godzin."),
        ("kv", [("Paczkomat", "KRA12M, ul. Pawia 5 (przy wejściu do Galerii Krakowskiej)"), ("Kod odbioru", "**732 481**"),
                ("Numer przesyłki", "692081334022718455219087"), ("Termin odbioru", "29.11.2026, 12:19")]),
        ("p", "Najszybciej odbierzesz paczkę w aplikacji InPost Mobile – bez wpisywania kodu. Możesz też otworzyć skrytkę zdalnie, gdy stoisz przy Paczkomacie."),
        ("btn", "Otwórz w aplikacji", "https://inpost.pl/aplikacja-mobilna"),
        ("small", "Pamiętaj: InPost nigdy nie prosi o dopłatę za przesyłkę w wiadomości SMS ani e-mail."),
    ]
    footer = ["InPost sp. z o.o., ul. Pana Tadeusza 4, 30-727 Kraków · KRS 0000543759", "Wiadomość wygenerowana automatycznie, prosimy na nią nie odpowiadać."]
    htm = card("InPost", st, "Kod odbioru: 732 481 · Paczkomat KRA12M", blocks, foot(footer), lang="pl")
    add("n11-inpost-paczkomat-kod-pl", "notification", frm=addr("InPost", "powiadomienia@inpost.pl"), to=who("tom"),
        subject="Paczka czeka w Paczkomacie KRA12M – kod odbioru 732481", date=d, msgid=f"<{hexs('n11', 20)}.{digits('n11a', 8)}@inpost.pl>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "n11", "java", text_cte="base64", html_cte="base64"),
        mailfrom="powiadomienia@inpost.pl", ip="91.234.44.18", helo="mail-out18.inpost.pl", dkim=[("inpost.pl", "ip2025")], lang="pl",
        after=[("Auto-Submitted", "auto-generated")])


def n12_gdocs_comment():
    d = when(16, 11, 8, 37)
    doc = "https://docs.google.com/document/d/1" + alnum("n12d", 43) + "/edit?disco=AAAB" + alnum("n12c", 8) + "&usp=comment_email_document&ts=" + hexs("n12t", 8)
    txt = f"""Dev Patel replied to a comment in the following document
Onboarding guide – new starters (v4)

Anna Berg
  "laptops are ordered two weeks before the start date"
  Is two weeks still realistic? The last two took almost three.

Dev Patel
  Good catch. Supplier is quoting 15 working days at the moment, so
  let's say three weeks and I'll update the checklist too.

Reply: {doc}

Google LLC, 1600 Amphitheatre Parkway, Mountain View, CA 94043, USA
You have received this email because you are a participant in the
updated discussion threads. Change what Google Docs sends you:
https://docs.google.com/document/u/0/docos/notify?id=1{alnum('n12d', 43)}&title=Onboarding+guide
You cannot reply to this email.
"""
    htm = f"""<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="margin:0;padding:0;background:#ffffff;font-family:'Google Sans',Roboto,Arial,sans-serif;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:560px;border:1px solid #dadce0;border-radius:8px;">
<tr><td style="padding:24px 24px 12px 24px;font-size:14px;line-height:20px;color:#3c4043;"><img src="https://ssl.gstatic.com/docs/documents/images/kix-favicon-2023q4.ico" width="16" height="16" alt="" style="vertical-align:middle;"> <b>Dev Patel</b> replied to a comment in the following document</td></tr>
<tr><td style="padding:0 24px 16px 24px;font-size:18px;line-height:24px;color:#202124;"><a href="{_html.escape(doc)}" style="color:#202124;text-decoration:none;">Onboarding guide – new starters (v4)</a></td></tr>
<tr><td style="padding:0 24px;"><div style="border-left:4px solid #fbbc04;padding:4px 12px;font-size:13px;color:#5f6368;">laptops are ordered two weeks before the start date</div></td></tr>
<tr><td style="padding:12px 24px 0 24px;font-size:14px;line-height:20px;color:#3c4043;"><b>Anna Berg</b><br>Is two weeks still realistic? The last two took almost three.</td></tr>
<tr><td style="padding:12px 24px 0 24px;font-size:14px;line-height:20px;color:#3c4043;"><b>Dev Patel</b><br>Good catch. Supplier is quoting 15 working days at the moment, so let's say three weeks and I'll update the checklist too.</td></tr>
<tr><td style="padding:20px 24px 24px 24px;"><a href="{_html.escape(doc)}" style="display:inline-block;background:#1a73e8;color:#ffffff;font-size:14px;font-weight:500;padding:10px 24px;border-radius:4px;text-decoration:none;">Reply</a> &nbsp; <a href="{_html.escape(doc)}" style="color:#1a73e8;font-size:14px;text-decoration:none;">Open</a></td></tr>
</table>
<p style="max-width:560px;font-size:12px;line-height:16px;color:#5f6368;">Google LLC, 1600 Amphitheatre Parkway, Mountain View, CA 94043, USA<br>You have received this email because you are a participant in the updated discussion threads. <a href="https://docs.google.com/document/u/0/docos/notify?id=1{alnum('n12d', 43)}&amp;title=Onboarding+guide" style="color:#1a73e8;">Change what Google Docs sends you</a>. You cannot reply to this email.</p>
</td></tr></table></body></html>
"""
    add("n12-google-docs-comment-reply", "notification", frm=addr("Dev Patel (Google Docs)", "comments-noreply@docs.google.com"), to=who("anna"),
        subject="Onboarding guide – new starters (v4)", date=d, msgid=f"<{alnum('n12m', 22)}+{alnum('n12n', 8)}@docos.bounces.google.com>",
        body=alt(txt, htm, "n12", "gmail"), mailfrom=f"3{alnum('n12b', 28)}@docos.bounces.google.com", ip="209.85.220.69", helo="mail-sor-f69.google.com",
        dkim=[("docs.google.com", "20230601")], from_dom="docs.google.com",
        headers=[("Reply-To", addr("Dev Patel", "dev.patel@example.net")), ("References", f"<{alnum('n12r', 24)}@docos.bounces.google.com>")],
        inner=[f"by mail-sor-f69.google.com (Google Transport Security) with SMTPS id {hexs('n12s', 20)}\n        for <anna.berg@example.net>; {rfcdate(d)}"])


def n13_discourse_reply():
    d = when(8, 20, 14, 55)
    txt = """jeffmoss replied to your post in "Home Assistant: Zigbee devices drop
off after updating to 2026.11"

https://community.home-assistant.io/t/zigbee-devices-drop-off-after-updating-to-2026-11/812044/7

---

Same here with a SONOFF ZBDongle-E. What fixed it for me was moving the
dongle onto a 1 m USB extension cable, away from the NAS. After that all
31 devices came back within an hour and have stayed up for two days.

It seems the new release scans channels more often, and USB 3 noise is
enough to upset it. See the note in the release notes under "ZHA".

---

Visit Topic or reply to this email to respond.

To unsubscribe from these emails, click here:
https://community.home-assistant.io/email/unsubscribe/""" + hexs("n13u", 64) + """

"""
    htm = f"""<div style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222;">
<table style="margin-bottom:25px;" cellspacing="0" cellpadding="0" border="0"><tr>
<td style="vertical-align:top;width:55px;"><img src="https://community-assets.home-assistant.io/user_avatar/community.home-assistant.io/jeffmoss/90/412883_2.png" title="jeffmoss" width="45" height="45" style="border-radius:50%;"></td>
<td><a href="https://community.home-assistant.io/u/jeffmoss" style="color:#006699;font-weight:bold;text-decoration:none;">jeffmoss</a><br><span style="color:#999;font-size:12px;">November 8</span>
<p>Same here with a SONOFF ZBDongle-E. What fixed it for me was moving the dongle onto a 1 m USB extension cable, away from the NAS. After that all 31 devices came back within an hour and have stayed up for two days.</p>
<p>It seems the new release scans channels more often, and USB 3 noise is enough to upset it. See the note in the release notes under "ZHA".</p></td></tr></table>
<hr style="border:none;border-top:1px solid #e9e9e9;">
<div style="color:#666;"><p><a href="https://community.home-assistant.io/t/zigbee-devices-drop-off-after-updating-to-2026-11/812044/7" style="background-color:#2f7fb2;color:#fff;padding:6px 12px;border-radius:3px;text-decoration:none;">Visit Topic</a> or reply to this email to respond.</p></div>
<div style="color:#666;font-size:12px;"><p>To unsubscribe from these emails, <a href="https://community.home-assistant.io/email/unsubscribe/{hexs('n13u', 64)}" style="color:#006699;">click here</a>.</p></div>
</div>
"""
    add("n13-discourse-forum-reply", "notification", frm=addr("jeffmoss via Home Assistant Community", "noreply@home-assistant.io"), to=who("tom"),
        subject="[Home Assistant Community] [Configuration/Zigbee] Zigbee devices drop off after updating to 2026.11", date=d,
        msgid=f"<discourse/post/{digits('n13p', 7)}@community.home-assistant.io>",
        body=alt(txt, htm, "n13", "plain", html_cte="quoted-printable"), mailfrom="bounce+a1c3e7.4d2b-tomasz.nowak=example.net@mg.home-assistant.io",
        ip="69.72.42.5", helo="m42-5.mailgun.net", dkim=[("home-assistant.io", "mx"), ("mailgun.org", "mg")], from_dom="home-assistant.io",
        headers=[("Reply-To", addr("Home Assistant Community", f"replies+{hexs('n13r', 32)}@home-assistant.io")),
                 ("In-Reply-To", "<discourse/post/5120233@community.home-assistant.io>"), ("References", "<discourse/topic/812044@community.home-assistant.io>\n <discourse/post/5120233@community.home-assistant.io>")],
        after=[("List-Id", "Home Assistant Community | Configuration/Zigbee <configuration-zigbee.community.home-assistant.io>"),
               ("List-Archive", "https://community.home-assistant.io/t/zigbee-devices-drop-off-after-updating-to-2026-11/812044"),
               ("Precedence", "list"), ("X-Discourse-Post-Id", digits("n13p", 7)), ("X-Discourse-Topic-Id", "812044"), ("X-Auto-Response-Suppress", "All"),
               ("Auto-Submitted", "auto-generated"), ("X-Mailgun-Sid", b64s("n13s", 54).rstrip("="))]
        + unsub(f"https://community.home-assistant.io/email/unsubscribe/{hexs('n13u', 64)}", post=False))


def n14_sentry():
    d = when(3, 2, 47, 10)
    st = dict(font="Rubik,'Avenir Next','Helvetica Neue',sans-serif", accent="#6c5fc7", color="#2b2233", muted="#80708f", bg="#faf9fb")
    url = "https://harbourline.sentry.io/issues/5839204711/?referrer=alert_email&alert_type=email&alert_timestamp=1793674030000&alert_rule_id=188420&notification_uuid=" + f"{hexs('n14u', 8)}-{hexs('n14v', 4)}-{hexs('n14w', 4)}-{hexs('n14x', 4)}-{hexs('n14y', 12)}"
    blocks = [
        ("p", "**New issue** · booking-api · production"),
        ("h1", "OperationalError: could not obtain connection from pool within 30.0s"),
        ("kv", [("Culprit", "app.bookings.views.create_booking"), ("Events", "412 in the last hour"), ("Users affected", "96"),
                ("Release", "booking-api@2026.11.02-4f1c9e2"), ("First seen", "3 Nov 2026, 02:41 UTC")]),
        ("quote", "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) couldn't get a connection after 30.00 sec (pool_size=10, max_overflow=5)"),
        ("btn", "View on Sentry", url),
        ("small", "This email was triggered by the alert rule **High error rate – production**. [Mute this alert](https://harbourline.sentry.io/alerts/rules/booking-api/188420/details/)"),
    ]
    footer = ["You are receiving this email because you are a member of the #backend team. [Notification settings](https://harbourline.sentry.io/settings/account/notifications/alerts/)",
              "Functional Software, Inc. (Sentry), 45 Fremont Street, 8th Floor, San Francisco, CA 94105"]
    htm = card("Sentry", st, "412 events in the last hour, 96 users", blocks, foot(footer))
    add("n14-sentry-new-issue-alert", "notification", frm=addr("Sentry", "noreply@md.getsentry.com"), to=who("tom"),
        subject="[Sentry] BOOKING-API-2F1 - OperationalError: could not obtain connection from pool within 30.0s", date=d,
        msgid=f"<{digits('n14m', 19)}.{digits('n14n', 6)}.{digits('n14o', 10)}@md.getsentry.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "n14", "py"),
        mailfrom="bounces+29113-2b47-tomasz.nowak=example.net@md.getsentry.com", ip="198.21.4.143", helo="o61.md.getsentry.com",
        dkim=[("md.getsentry.com", "s1")], headers=[("Reply-To", addr("", f"{hexs('n14r', 40)}@reply.sentry.io"))],
        after=[("X-Sentry-Project", "booking-api"), ("X-Sentry-Logger", "sqlalchemy"), ("X-Sentry-Logger-Level", "error"),
               ("X-Sentry-Reply-To", "n/a"), ("List-Id", "booking-api.harbourline.sentry.io"), ("Precedence", "bulk"),
               ("X-SG-EID", b64s("n14sg", 66))])


def n15_asana_due():
    d = when(25, 6, 30, 0)
    st = dict(font="'TWK Lausanne','Helvetica Neue',Helvetica,Arial,sans-serif", accent="#4573d2", color="#1e1f21", muted="#6d6e6f", bg="#f9f8f8")
    blocks = [
        ("h1", "3 tasks due today"),
        ("list", ["[Send final invoice to Larkfield Council](https://app.asana.com/0/1208842/1209911774410)  · Website refresh",
                  "[Book venue for January all-hands](https://app.asana.com/0/1208900/1209912001873)  · Office",
                  "[Review accessibility audit findings](https://app.asana.com/0/1208842/1209912108820)  · Website refresh"]),
        ("p", "1 task is overdue: [Renew first-aid training for floor wardens](https://app.asana.com/0/1208900/1209770012274) (was due 20 Nov)."),
        ("btn", "Go to My tasks", "https://app.asana.com/0/my-tasks"),
    ]
    footer = ["You are receiving this because you turned on daily due-date reminders. [Change your email settings](https://app.asana.com/-/email_settings)",
              "Asana, Inc., 633 Folsom Street, Suite 100, San Francisco, CA 94107"]
    htm = card("asana", st, "Send final invoice to Larkfield Council, and 2 more", blocks, foot(footer), pixel=f"https://app.asana.com/-/email_open?e={alnum('n15p', 40)}")
    add("n15-asana-tasks-due-today", "notification", frm=addr("Asana", "no-reply@asana.com"), to=who("sam"),
        subject="You have 3 tasks due today", date=d, msgid=f"<{hexs('n15', 32)}@asana.com>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "n15", "sg", html_cte="base64"),
        mailfrom="bounces+1152993-c1f0-sam=example.net@mail.asana.com", ip="149.72.242.19", helo="o19.mail.asana.com",
        dkim=[("asana.com", "s1")], after=[("X-Asana-Notification", "due_today_digest"), ("X-SG-EID", b64s("n15sg", 70))]
        + unsub("https://app.asana.com/-/email_unsubscribe?t=" + alnum("n15u", 40)))

# ================================================================ newsletters and solicited marketing

def m01_tech_newsletter():
    d = when(20, 14, 3, 0)
    st = dict(font="Georgia,'Times New Roman',serif", accent="#c2410c", color="#1f2328", muted="#57606a", bg="#f3f1ee", link="#b23c0a")
    c = "issue-412"
    U = lambda url: utm(url, "systemsweekly", c)
    secs = [
        [("small", "Issue #412 · 20 November 2026 · [Read on the web](https://systemsweekly.example/issues/412)"),
         ("p", "Hello and welcome back. This week: a long read on why your p99 lies to you, two new releases worth upgrading for, and a surprisingly good talk about printers. As always, reply to this email if you have something you think belongs here. I read every message, even if it takes me a while to answer."),
         ("p", "— Oliver")],
        [("h2", "Your p99 is an average in disguise"),
         ("p", "Marta Kowalczyk walks through how most dashboards compute percentiles per host and then average them, which quietly throws away the tail you were trying to see. The fix is not exotic (merge histograms, not percentiles) but the worked examples with real traffic make it stick."),
         ("p", "[Read the article →](" + U("https://martakowalczyk.example/blog/merging-percentiles") + ")"),
         ("h2", "SQLite gets a new B-tree page format"),
         ("p", "The release notes are modest, but the forum thread explains the trade-offs: smaller pages for write-heavy workloads, and a migration path that never rewrites a database you don't touch. If you ship SQLite inside an app, the compatibility section is worth ten minutes."),
         ("p", "[Release notes](" + U("https://sqlite.example/releaselog/3_52_0.html") + ") · [Forum discussion](" + U("https://sqlite.example/forum/info/8d1f2c") + ")"),
         ("h2", "Talk: What printer drivers taught me about backwards compatibility"),
         ("p", "A 35-minute talk from a maintainer of a printing system that still supports hardware from 1994. Less about printers than about how to say no to breaking changes for thirty years. Funny, too."),
         ("p", "[Watch the video (35 min)](" + U("https://videos.example/watch/printers-and-compat") + ")")],
        [("h2", "Quick links"),
         ("list", ["[A visual guide to io_uring](" + U("https://blog.example/io-uring-visual") + "): diagrams that finally made submission queues click for me.",
                   "[Postgres 19 beta: what's in it for operators](" + U("https://pgops.example/pg19-beta") + ") — logical replication of sequences, at last.",
                   "[The case against microservices, 2026 edition](" + U("https://essays.example/against-microservices-2026") + ") (counterpoint in the comments is also good).",
                   "[Writing a tiny TCP stack in 500 lines](" + U("https://tinytcp.example/") + ") as a teaching exercise.",
                   "[Rust 1.95 released](" + U("https://blog.rust-lang.example/2026/11/19/rust-1.95") + ") with async closures in traits stabilised."]),
         ("h2", "Jobs"),
         ("p", "**Fieldwork Tools** (remote, EU time zones) is hiring a senior backend engineer to work on offline-first sync for field researchers. Go, Postgres, a lot of conflict resolution. [Details](" + U("https://fieldwork.example/jobs/backend") + ")"),
         ("small", "Job listings are paid placements. They're the only ads in this newsletter, and I only accept roles I'd tell a friend about.")],
    ]
    footer = ["You're receiving this because you subscribed to Systems Weekly at systemsweekly.example.",
              "[Unsubscribe](https://systemsweekly.example/unsubscribe?s=" + alnum("m01u", 24) + ") · [Update preferences](https://systemsweekly.example/preferences) · [Archive](https://systemsweekly.example/issues)",
              "Systems Weekly, 71 Cowley Road, Oxford OX4 1HR, United Kingdom"]
    htm = news("Systems Weekly", st, secs, foot(footer, "#777777"), pixel=f"https://systemsweekly.example/o/{alnum('m01p', 30)}.gif",
               masthead="Systems Weekly", pre="Your p99 is an average in disguise, SQLite's new page format, and printers")
    txt = "SYSTEMS WEEKLY\n\n" + "\n".join(blocks_text(s) for s in secs) + "\n" + foot_text(footer)
    add("m01-tech-newsletter-weekly", "newsletter", frm=addr("Systems Weekly", "oliver@systemsweekly.example"), to=who("tom"),
        subject="Systems Weekly #412: your p99 is an average in disguise", date=d, msgid=f"<{hexs('m01', 20)}@systemsweekly.example>",
        body=alt(txt, htm, "m01", "plain"), mailfrom="bounces@mail.systemsweekly.example", ip="198.51.100.44", helo="mail.systemsweekly.example",
        dkim=[("systemsweekly.example", "sw1")], headers=[("Reply-To", addr("Oliver Grant", "oliver@systemsweekly.example"))],
        after=[("List-Id", "Systems Weekly <weekly.systemsweekly.example>"), ("Precedence", "bulk")]
        + unsub("https://systemsweekly.example/unsubscribe?s=" + alnum("m01u", 24), "unsubscribe@systemsweekly.example"))


def m02_substack():
    d = when(22, 12, 1, 35)
    post = "https://thelongcommute.substack.com/p/the-bus-that-taught-me-to-wait"
    paras = [
        "There's a bus that runs from the edge of my town to the hospital on the other side of the river. It's the 38, and for six years I took it every weekday at 6:52 in the morning.",
        "I did not choose the 38 for its reliability. It is not reliable. In winter it is a rumour. But it was the only bus that went where I needed to go, and so for six years a large part of my life was arranged around the possibility of it.",
        "What I want to write about this week is not buses, exactly. It's what happens to you when you spend years waiting for something that is mostly, but not always, going to come.",
        "The regulars at the stop had a grammar for it. \"Running late\" meant under ten minutes. \"Having a day\" meant more. \"Gone\" meant the driver had been sent to cover another route and we were on our own. Nobody complained much. We talked about the weather and each other's children, and a retired teacher called Maureen brought a flask of tea on the worst mornings and pretended it was for herself.",
        "I've been thinking about Maureen a lot since the council announced that the 38 will be replaced in the spring by an on-demand minibus you book through an app. It will almost certainly be better. I will almost certainly use it. And something will be lost that nobody is going to measure.",
        "More on that next week, when I've talked to the people who designed the new service. For now: if you have a bus, or a train, or a ferry that shaped your days, I'd love to hear about it. Just reply to this email.",
    ]
    htm = ('<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
           '<style>body{margin:0;padding:0;} .post p{margin:0 0 20px 0;} a{color:#ff6719;}</style></head>\n'
           '<body style="background:#ffffff;">\n<div style="display:none;font-size:1px;color:#ffffff;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;">On waiting for something that is mostly, but not always, going to come</div>\n'
           '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td align="center">\n'
           '<table role="presentation" width="550" cellpadding="0" cellspacing="0" border="0" style="max-width:550px;"><tr><td style="padding:24px 16px;">\n'
           f'<h1 style="font-family:\'SF Pro Display\',-apple-system,system-ui,sans-serif;font-size:32px;line-height:38px;margin:0 0 8px 0;color:#363737;"><a href="{post}" style="color:#363737;text-decoration:none;">The bus that taught me to wait</a></h1>\n'
           '<h3 style="font-family:-apple-system,system-ui,sans-serif;font-size:18px;font-weight:400;color:#757575;margin:0 0 16px 0;">On waiting for something that is mostly, but not always, going to come</h3>\n'
           '<p style="font-family:-apple-system,system-ui,sans-serif;font-size:13px;color:#757575;margin:0 0 24px 0;">Hannah Ellery · Nov 22</p>\n'
           '<div class="post" style="font-family:Georgia,serif;font-size:17px;line-height:27px;color:#363737;">\n'
           + "\n".join(f"<p>{_html.escape(p)}</p>" for p in paras) +
           '\n<p>Hannah</p>\n</div>\n'
           f'<p style="text-align:center;margin:32px 0;"><a href="{post}?utm_source=substack&amp;utm_medium=email&amp;utm_content=share&amp;action=share" style="display:inline-block;background:#ff6719;color:#ffffff;font-family:-apple-system,system-ui,sans-serif;font-size:14px;font-weight:600;padding:12px 20px;border-radius:8px;text-decoration:none;">Share The Long Commute</a></p>\n'
           f'<p style="font-family:-apple-system,system-ui,sans-serif;font-size:13px;color:#757575;text-align:center;">© 2026 Hannah Ellery<br>548 Market Street PMB 72296, San Francisco, CA 94104<br><a href="https://thelongcommute.substack.com/action/disable_email?token={alnum("m02t", 40)}" style="color:#757575;">Unsubscribe</a></p>\n'
           f'<p style="text-align:center;"><a href="https://substack.com/signup?utm_source=substack&amp;utm_medium=email&amp;utm_content=footer"><img src="https://substackcdn.com/image/fetch/w_270,c_limit,f_auto,q_auto:good/email/publish-button.png" width="135" alt="Start writing"></a></p>\n'
           '</td></tr></table></td></tr></table>\n'
           f'<img src="https://eotrx.substackcdn.com/open?token={alnum("m02o", 60)}" width="1" height="1" alt="" style="height:1px!important;width:1px!important;border-width:0!important;margin:0!important;padding:0!important;">\n'
           '</body></html>\n')
    txt = (f"View this post on the web at {post}\n\n" + "\n\n".join(textwrap.fill(p, 72) for p in paras) + "\n\nHannah\n\n"
           f"Unsubscribe https://thelongcommute.substack.com/action/disable_email?token={alnum('m02t', 40)}\n")
    add("m02-substack-essay-newsletter", "newsletter", frm=addr("Hannah Ellery from The Long Commute", "thelongcommute@substack.com"), to=who("anna"),
        subject="The bus that taught me to wait", date=d, msgid=f"<{digits('m02', 9)}.{digits('m02a', 8)}@substack.com>",
        body=alt(txt, htm, "m02", "plain", html_cte="quoted-printable"), mailfrom="bounce+a4c1e2.21a9f6-anna.berg=example.net@mg-d1.substack.com",
        ip="69.72.43.7", helo="m43-7.mailgun.net", dkim=[("substack.com", "mg"), ("mailgun.org", "mg")], from_dom="substack.com",
        headers=[("Reply-To", addr("Hannah Ellery from The Long Commute", f"reply+{alnum('m02r', 30)}@substack.com"))],
        after=[("List-Id", "<thelongcommute.substack.com>"), ("List-URL", "<https://thelongcommute.substack.com/>"),
               ("X-Mailgun-Tag", "post"), ("Precedence", "bulk"), ("X-Mailgun-Variables", '{"category": "post", "post_id": 171044291, "pub_id": 2210934}')]
        + unsub(f"https://thelongcommute.substack.com/action/disable_email/disable?token={alnum('m02t', 40)}", f"{alnum('m02m', 24)}@unsubscribe.substack.com"))


def m03_bookshop():
    d = when(27, 9, 15, 0)
    st = dict(font="Georgia,'Times New Roman',serif", accent="#2f4f3a", color="#2b2b2b", muted="#6b6b6b", bg="#f7f3ea")
    U = lambda u: utm(u, "newsletter", "winter-evening-2026")
    blocks = [
        ("img", "https://cdn.mcusercontent.example/4a1/images/winter-window.jpg", "Our shop window with winter books and fairy lights", 536),
        ("h1", "Winter reading evening, and a small thank-you"),
        ("p", "Dear friends of the shop,"),
        ("p", "The shortest days are coming, which in our opinion is the best time of year to read. On **Thursday 10 December from 6pm** we're staying open late for our Winter Reading Evening: mulled apple juice, mince pies from Dough & Co next door, and each of us will talk for five minutes about a book we loved this year."),
        ("p", "Everyone on this list gets **10% off everything** in the shop that evening and through the weekend — just mention the newsletter at the till, or use the code **WINTERLIST** on our website."),
        ("btn", "Reserve a (free) place", U("https://pagesandpotter.example/events/winter-evening")),
        ("h2", "Staff picks this month"),
        ("list", ["**Juno** recommends “The Salt Path” — for anyone planning a long walk in the new year.",
                  "**Tom** can't stop talking about “Piranesi”, again. We've given up trying.",
                  "**Amira** says the new Tove Jansson short story collection is the perfect present for people who say they don't read."]),
        ("p", "As always, we're happy to order in anything we don't have on the shelves, usually within two days. Christmas orders close on 19 December."),
        ("p", "Thank you for shopping locally this year. It genuinely keeps our lights on.<br>Juno, Tom and Amira"),
    ]
    footer = ["Pages & Potter, 14 Church Street, Stoke Newington, London N16 0LU · Open Tue–Sun, 10am–6pm",
              "You're receiving this because you signed up at the shop or on our website. [Update preferences](https://pagesandpotter.us21.list-manage.example/profile?u=" + hexs("m03a", 25) + ") · [Unsubscribe](https://pagesandpotter.us21.list-manage.example/unsubscribe?u=" + hexs("m03a", 25) + "&id=" + hexs("m03b", 10) + ")"]
    blocks[-1] = ("p", "Thank you for shopping locally this year. It genuinely keeps our lights on. — Juno, Tom and Amira")
    htm = shop("Pages & Potter", st, "Thursday 10 Dec: late opening, mince pies and 10% off", blocks, foot(footer), logo="https://cdn.mcusercontent.example/4a1/images/pages-potter-logo.png",
               pixel=f"https://pagesandpotter.us21.list-manage.example/track/open.php?u={hexs('m03a', 25)}&id={hexs('m03o', 10)}&e={hexs('m03e', 10)}", header_bg="#2f4f3a")
    add("m03-local-bookshop-offer", "newsletter", frm=addr("Pages & Potter Books", "hello@pagesandpotter.example"), to=who("anna"),
        subject="Winter reading evening (and 10% off for you)", date=d, msgid=f"<{hexs('m03m', 32)}@mail.mailchimpapp.net>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "m03", "mc"),
        mailfrom=f"bounce-mc.us21_{digits('m03r', 9)}.{digits('m03s', 7)}-{hexs('m03e', 10)}@mail232.atl221.rsgsv.net", ip="198.2.136.232", helo="mail232.atl221.rsgsv.net",
        dkim=[("pagesandpotter.example", "k2"), ("mcsv.net", "k3")], from_dom="pagesandpotter.example", dmarc="p=NONE sp=NONE dis=NONE",
        after=[("X-MC-User", hexs("m03a", 25)), ("X-Campaign", f"mailchimp{hexs('m03a', 25)}.{hexs('m03b', 10)}"), ("X-campaignid", f"mailchimp{hexs('m03a', 25)}.{hexs('m03b', 10)}"),
               ("X-Report-Abuse", f"Please report abuse for this campaign here: https://mailchimp.com/contact/abuse/?u={hexs('m03a', 25)}&id={hexs('m03b', 10)}&e={hexs('m03e', 10)}"),
               ("X-MC-User-ID", hexs("m03a", 25)), ("Precedence", "bulk"), ("X-Accounttype", "pd"), ("List-Id", f"{hexs('m03a', 25)}mc list <{hexs('m03a', 25)}.{digits('m03l', 6)}.list-id.mcsv.net>")]
        + unsub(f"https://pagesandpotter.us21.list-manage.example/unsubscribe?u={hexs('m03a', 25)}&id={hexs('m03b', 10)}&e={hexs('m03e', 10)}&c={hexs('m03c', 10)}",
                f"unsubscribe-mc.us21_{hexs('m03a', 25)}.{hexs('m03b', 10)}-{hexs('m03e', 10)}@unsubscribe.mailchimpapp.net"))


def m04_museum():
    d = when(3, 10, 0, 0)
    st = dict(font="'Helvetica Neue',Helvetica,Arial,sans-serif", accent="#111111", color="#111111", muted="#555555", bg="#ffffff", link="#b4005a")
    U = lambda u: utm(u, "members-newsletter", "december-2026", content="programme")
    secs = [
        [("img", "https://media.citymuseumofdesign.example/newsletter/2026-12/header-lightworks.jpg", "Detail from the exhibition Lightworks: Neon and the City", 580),
         ("h1", "December at the Museum"),
         ("p", "Dear Member, as the nights draw in, the galleries are at their most atmospheric. Here is what's on this month, plus two members-only events we're particularly excited about.")],
        [("h2", "Now open: Lightworks — Neon and the City"),
         ("p", "Seventy years of hand-bent glass signs, from the last neon workshop in our city to the artists reviving the craft today. Members see it free, as often as they like, and can bring a guest on Tuesdays."),
         ("p", "[Plan your visit](" + U("https://citymuseumofdesign.example/whats-on/lightworks") + ")"),
         ("h2", "Members' late: Thursday 10 December, 18:30–21:00"),
         ("p", "The galleries after hours, a drinks bar in the atrium and short talks from the curators at 19:00 and 20:00. Free for members and one guest; booking essential as numbers are limited."),
         ("btn", "Book your members' late", U("https://citymuseumofdesign.example/members/late-december")),
         ("h2", "Family workshops over the holidays"),
         ("list", ["**Make a paper lantern** — 22 and 23 December, 10:30 and 14:00, ages 5–11", "**Design your own typeface** — 29 December, 11:00, ages 10–14",
                   "**Drop-in drawing** in the Sculpture Court — every day 27–31 December, no booking"]),
         ("h2", "Opening hours"),
         ("p", "We're closed 24–26 December and 1 January, and close at 16:00 on 31 December. The café and shop follow the museum's hours.")],
    ]
    footer = ["City Museum of Design, Riverside Place, Manchester M3 4JR · Registered charity no. 1012345",
              "You are receiving this because you are a Member and opted in to our newsletter. [Manage your preferences](https://citymuseumofdesign.example/account/preferences) · [Unsubscribe](https://citymuseumofdesign.example/unsubscribe?id=" + alnum("m04u", 20) + ")"]
    htm = news("City Museum of Design", st, secs, foot(footer), pixel=f"https://e.citymuseumofdesign.example/open/{alnum('m04p', 28)}.png",
               masthead="CITY MUSEUM OF DESIGN", pre="Lightworks opens, a members' late on 10 December and holiday workshops")
    txt = "\n".join(blocks_text(s) for s in secs) + "\n" + foot_text(footer)
    add("m04-museum-december-programme", "newsletter", frm=addr("City Museum of Design", "members@citymuseumofdesign.example"), to=who("priya"),
        subject="December at the Museum: Lightworks, a members' late and holiday workshops", date=d, msgid=f"<{hexs('m04', 24)}@e.citymuseumofdesign.example>",
        body=alt(txt, htm, "m04", "java", html_cte="base64"), mailfrom=f"bounce-{digits('m04b', 8)}@e.citymuseumofdesign.example", ip="203.0.113.71",
        helo="mta2.e.citymuseumofdesign.example", dkim=[("citymuseumofdesign.example", "cmd1")], dmarc="p=QUARANTINE sp=QUARANTINE dis=NONE",
        after=[("Precedence", "bulk"), ("X-Campaign-ID", "members-2026-12")] + unsub("https://citymuseumofdesign.example/unsubscribe?id=" + alnum("m04u", 20)))


def m05_linear_changelog():
    d = when(13, 17, 0, 0)
    st = dict(font="Inter,-apple-system,BlinkMacSystemFont,'Segoe UI',sans-serif", accent="#5e6ad2", color="#1b1b1f", muted="#6b6f76", bg="#f4f5f8")
    U = lambda u: utm(u, "email", "changelog-2026-11-13", medium="newsletter")
    secs = [
        [("small", "Changelog · November 13, 2026"),
         ("h1", "Triage rules, faster search and a calmer inbox"),
         ("p", "A round-up of what shipped in Linear over the past two weeks.")],
        [("h2", "Triage rules"),
         ("p", "You can now route incoming issues automatically: set rules on a team's Triage to assign, label or move issues based on their source, labels or the text of the title. Rules run in order and show what they did in the issue's history, so nothing happens silently."),
         ("p", "[Read the docs](" + U("https://linear.app/docs/triage") + ")"),
         ("h2", "Search, rebuilt"),
         ("p", "Search results now appear as you type in workspaces of any size, with filters for status, assignee and project right in the search bar. On our own workspace, the median query went from 380 ms to 45 ms."),
         ("h2", "Inbox: snooze until something changes"),
         ("p", "Snooze a notification until the issue changes state, instead of until a time. Useful for the things you're waiting on someone else for.")],
        [("h2", "Fixes and improvements"),
         ("list", ["Cycles: carry-over now keeps the original estimate.", "Slack integration: threads created from Linear keep their formatting.",
                   "The GitHub integration links commits that mention an issue in the body, not only the title.", "Keyboard shortcut ⌘⇧C copies an issue's branch name.",
                   "Fixed an issue where project updates could be posted twice on slow connections."]),
         ("btn", "See the full changelog", U("https://linear.app/changelog"))],
    ]
    footer = ["You're receiving product updates because you have a Linear account. [Unsubscribe from product updates](https://linear.app/settings/account/notifications?unsubscribe=changelog&t=" + alnum("m05u", 24) + ")",
              "Linear Orbit, Inc. · 1 Letterman Drive, Building C, Suite CM 400 · San Francisco, CA 94129"]
    htm = news("Linear", st, secs, foot(footer), pixel=f"https://email.linear.app/o/{alnum('m05p', 36)}", masthead="Linear",
               pre="Route incoming issues automatically, search that keeps up, and snoozing until something changes")
    txt = "\n".join(blocks_text(s) for s in secs) + "\n" + foot_text(footer)
    add("m05-saas-product-changelog", "newsletter", frm=addr("Linear", "changelog@linear.app"), to=who("jo"),
        subject="Linear Changelog: Triage rules, faster search and a calmer inbox", date=d, msgid=f"<{hexs('m05', 8)}-{hexs('m05a', 4)}-{hexs('m05b', 4)}-{hexs('m05c', 4)}-{hexs('m05d', 12)}@linear.app>",
        body=alt(txt, htm, "m05", "ses"), mailfrom=f"0100019{hexs('m05s', 9)}-{hexs('m05t', 8)}-000000@amazonses.linear.app", ip="54.240.27.54",
        helo="a27-54.smtp-out.us-west-2.amazonses.com", dkim=[("linear.app", "ses1"), ("amazonses.com", "hsbnp7p3ensaochzwyq5wwmceodymuwv")], from_dom="linear.app",
        after=[("Feedback-ID", "changelog:1.us-west-2.R0p6dPjCzWz5E8Y3sFf7M2tQmJ1aLvNcKxH4gS9bIuo=:AmazonSES"), ("X-SES-Outgoing", "2026.11.13-54.240.27.54"), ("Precedence", "bulk")]
        + unsub("https://linear.app/settings/account/notifications?unsubscribe=changelog&t=" + alnum("m05u", 24)))


def m06_charity_appeal():
    d = when(26, 8, 30, 0)
    st = dict(font="Arial,Helvetica,sans-serif", accent="#e4002b", color="#222222", muted="#555555", bg="#f2f2f2")
    U = lambda u: utm(u, "email", "winter-appeal-2026", content="cta")
    blocks = [
        ("img", "https://www.hackneyfoodbank.example/images/email/winter-2026-volunteers.jpg", "Volunteers sorting donations at the warehouse", 536),
        ("p", "Dear Sam,"),
        ("p", "Last winter, our warehouse in Dalston gave out 14,200 emergency food parcels. This year we expect to need more than 17,000. Families who never thought they'd need a food bank are coming to us because of rent increases and heating bills, and the number of working parents we see has doubled in two years."),
        ("p", "You helped us last December, and I wanted to tell you what that made possible: a second distribution day on Saturdays, so people who work during the week don't have to choose between a shift and a food parcel."),
        ("p", "**£25 fills a parcel for a family of four for three days. £60 covers a week of fresh fruit and vegetables for one of our partner schools' breakfast clubs.**"),
        ("btn", "Donate to the winter appeal", U("https://www.hackneyfoodbank.example/donate/winter")),
        ("p", "If giving money isn't possible this year, we understand. We are just as grateful for time: we need drivers with a clean licence on Tuesday and Thursday mornings, and people to help sort donations on weekday evenings. [Find out about volunteering](" + U("https://www.hackneyfoodbank.example/volunteer") + ")."),
        ("p", "With thanks, and warm wishes for the season,"),
        ("p", "Grace Adebayo<br>Director, Hackney Community Food Bank"),
    ]
    blocks[-1] = ("p", "Grace Adebayo, Director, Hackney Community Food Bank")
    footer = ["Hackney Community Food Bank, Unit 7, Bradbury Works, London E8 2LU · Registered charity no. 1187654",
              "You're receiving this email because you donated to us and agreed to hear about our work. [Change how we contact you](https://www.hackneyfoodbank.example/preferences) · [Unsubscribe](https://www.hackneyfoodbank.example/unsubscribe?c=" + alnum("m06u", 20) + ")"]
    htm = shop("Hackney Community Food Bank", st, "This winter we expect to need more than 17,000 parcels", blocks, foot(footer),
               logo="https://www.hackneyfoodbank.example/images/email/logo.png", pixel=f"https://www.hackneyfoodbank.example/e/o/{alnum('m06p', 24)}.gif")
    add("m06-charity-winter-appeal", "newsletter", frm=addr("Grace at Hackney Community Food Bank", "grace@hackneyfoodbank.example"), to=who("sam"),
        subject="Sam, a second Saturday, thanks to you", date=d, msgid=f"<{hexs('m06', 32)}@hackneyfoodbank.example>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "m06", "sg"), mailfrom="bounces+18821-aa10-sam=example.net@em.hackneyfoodbank.example",
        ip="198.51.100.212", helo="o212.em.hackneyfoodbank.example", dkim=[("hackneyfoodbank.example", "s1")],
        after=[("Precedence", "bulk"), ("X-SG-EID", b64s("m06sg", 70))] + unsub("https://www.hackneyfoodbank.example/unsubscribe?c=" + alnum("m06u", 20)))


def m07_running_club():
    d = when(11, 19, 42, 0)
    txt = """Hi all,

Quick one this week.

SATURDAY
Parkrun as usual at Clissold Park, 9:00. Cake afterwards at the café;
it's Priti's 100th run, so please come and cheer her in. She has
threatened to wear a tiara.

CLUB CHAMPS - CROSS COUNTRY
Sunday 29 November at Hampstead Heath, men's race 11:00, women's race
11:45. Spikes recommended, it will be muddy. Please put your name on
the sheet by Wednesday so we can register the team:
https://docs.google.com/spreadsheets/d/1hN4kPq7sWz2mXv9cLrT0bYjE3aQdU6fG8iKoZ5Ry1Hc/edit

TUESDAY SESSIONS
Track sessions move indoors to the sports hall from 1 December until
February (same time, 19:15). Bring trainers with non-marking soles.

KIT
The new long-sleeve club tops have arrived. £22, pay Dave on Tuesday or
by bank transfer (details in the members' area).

Run well,
Ruth
Membership secretary, Stokey Striders

--
You're getting this because you're a member of Stokey Striders.
Unsubscribe: https://stokeystriders.example/unsubscribe?m=AB77fq
Stokey Striders RC, c/o 19 Albion Road, London N16 9PS
"""
    add("m07-running-club-weekly", "newsletter", frm=addr("Stokey Striders", "news@stokeystriders.example"), to=addr("", "anna.berg@example.net"),
        subject="Striders weekly: Priti's 100th, cross-country champs and kit", date=d, msgid=f"<{hexs('m07', 24)}.{digits('m07a', 6)}@stokeystriders.example>",
        body=text(txt, cte="7bit", flowed=True), mailfrom="bounce+d51a3c.9e2b-anna.berg=example.net@mg.stokeystriders.example",
        ip="198.51.100.23", helo="m23.mg.stokeystriders.example", dkim=[("stokeystriders.example", "mx"), ("mailgun.org", "mg")],
        headers=[("Reply-To", addr("Ruth Campbell", "membership@stokeystriders.example"))],
        after=[("List-Id", "Stokey Striders members <members.stokeystriders.example>"), ("Precedence", "bulk"),
               ("X-Mailgun-Sid", b64s("m07s", 54).rstrip("=")), ("X-Mailgun-Tag", "weekly")]
        + unsub("https://stokeystriders.example/unsubscribe?m=AB77fq", "unsubscribe@stokeystriders.example"))


def m08_weekend_reads():
    d = when(28, 7, 0, 0)
    st = dict(font="'Guardian Text Egyptian',Georgia,serif", accent="#052962", color="#121212", muted="#707070", bg="#f6f6f6", link="#0f5aa6")
    U = lambda u: utm(u, "newsletter", "weekend-reads", content="20261128")
    secs = [
        [("p", "Good morning. This week we have a remarkable piece of reporting from a Scottish island that decided to run its own ferry, an essay on why we stopped writing letters, and the best recipe for a rainy Saturday that I know."),
         ("p", "Have a lovely weekend,<br>Nell Ashby, editor")],
        [("h2", "The island that bought a boat"),
         ("p", "When the state operator cut its winter timetable to two sailings a week, the 400 residents of a small Hebridean island raised £1.2m and bought a second-hand ferry. Two years on, our correspondent spent a week aboard. (18 min read)"),
         ("p", "[Read the story](" + U("https://www.thefold.example/2026/nov/28/island-that-bought-a-boat") + ")"),
         ("h2", "Dear nobody: why we stopped writing letters"),
         ("p", "Letters once arrived with a delay that gave them weight. An essay on what messaging took from us, and the small revival of pen pals among people under thirty. (9 min read)"),
         ("p", "[Read the essay](" + U("https://www.thefold.example/2026/nov/27/why-we-stopped-writing-letters") + ")"),
         ("h2", "Recipe: slow-baked beans with smoked paprika and a crust of breadcrumbs"),
         ("p", "Three hours in a low oven, almost no work, and the kitchen smells wonderful all afternoon. Serves four, or two people twice."),
         ("p", "[Get the recipe](" + U("https://www.thefold.example/food/2026/nov/28/slow-baked-beans") + ")")],
    ]
    secs[0][1] = ("p", "Have a lovely weekend, Nell Ashby, editor")
    footer = ["You are receiving this newsletter because you signed up to Weekend Reads from The Fold.",
              "[Manage your newsletters](https://manage.thefold.example/email-prefs) · [Unsubscribe](https://manage.thefold.example/unsubscribe?listId=4412&email_token=" + alnum("m08u", 20) + ")",
              "The Fold Media Ltd, 90 York Way, London N1 9GU. Registered in England and Wales No. 10223344."]
    htm = news("The Fold", st, secs, foot(footer), pixel=f"https://email.thefold.example/open/{alnum('m08p', 32)}.gif",
               masthead="The Fold · Weekend Reads", pre="The island that bought a boat, why we stopped writing letters, and baked beans")
    txt = "The Fold - Weekend Reads\n\n" + "\n".join(blocks_text(s) for s in secs) + "\n" + foot_text(footer)
    add("m08-publisher-weekend-reads", "newsletter", frm=addr("The Fold – Weekend Reads", "weekend@newsletters.thefold.example"), to=who("lucas"),
        subject="The island that bought a boat | Weekend Reads", date=d, msgid=f"<{hexs('m08', 8)}.{hexs('m08a', 24)}@newsletters.thefold.example>",
        body=alt(txt, htm, "m08", "java", html_cte="base64"), mailfrom=f"bounce-{digits('m08b', 6)}_HTML-{digits('m08c', 9)}@bounce.newsletters.thefold.example",
        ip="203.0.113.148", helo="mta148.newsletters.thefold.example", dkim=[("newsletters.thefold.example", "200608")],
        after=[("x-job", "514000271_4412"), ("Precedence", "bulk")]
        + unsub("https://manage.thefold.example/unsubscribe?listId=4412&email_token=" + alnum("m08u", 20), f"leave-{alnum('m08l', 20)}@newsletters.thefold.example"))


def m09_feltrinelli_it():
    d = when(19, 11, 30, 0, 60)
    st = dict(font="Arial,Helvetica,sans-serif", accent="#c8102e", color="#222222", muted="#666666", bg="#f3f3f3")
    U = lambda u: utm(u, "newsletter", "novita-novembre-2026", content="libri")
    blocks = [
        ("h1", "Le novità di novembre scelte dai nostri librai"),
        ("p", "Ciao Giulia, le giornate si accorciano e le pile di libri sul comodino si allungano. Ecco cosa stiamo leggendo in libreria questo mese."),
        ("h2", "Narrativa"),
        ("list", ["**«Il giardino d'inverno»** – un romanzo familiare ambientato tra Torino e Lisbona, che ha conquistato tutta la redazione.",
                  "**«Le stanze di vetro»** – racconti brevi e precisissimi, perfetti per i viaggi in treno."]),
        ("h2", "Saggistica"),
        ("list", ["**«Mangiare il paesaggio»** – una storia dell'Italia attraverso i suoi orti, dalle ville medicee agli orti urbani di oggi."]),
        ("h2", "Incontri in libreria"),
        ("p", "Giovedì 3 dicembre alle 18:30, presso la Feltrinelli di piazza Piemonte a Milano: presentazione con l'autrice e firmacopie. Ingresso libero fino a esaurimento posti."),
        ("btn", "Scopri tutte le novità", U("https://www.lafeltrinelli.it/novita/libri")),
        ("p", "Con la carta **Feltrinelli Plus** accumuli punti su ogni acquisto, online e in negozio. Fino al 30 novembre i punti valgono doppio sui libri per ragazzi."),
    ]
    footer = ["Ricevi questa email perché ti sei iscritta alla newsletter di laFeltrinelli. [Gestisci le preferenze](https://www.lafeltrinelli.it/account/newsletter) · [Cancellati](https://www.lafeltrinelli.it/newsletter/disiscrizione?t=" + alnum("m09u", 24) + ")",
              "Librerie Feltrinelli S.r.l., Via Tucidide 56, 20134 Milano · P.IVA 04348720484"]
    htm = shop("laFeltrinelli", st, "I consigli dei librai, un incontro a Milano e punti doppi", blocks, foot(footer), logo="https://www.lafeltrinelli.it/images/newsletter/logo-lafeltrinelli.png",
               pixel=f"https://news.lafeltrinelli.it/track/open/{alnum('m09p', 30)}", lang="it", header_bg="#ffffff")
    add("m09-feltrinelli-novita-it", "newsletter", frm=addr("laFeltrinelli", "newsletter@news.lafeltrinelli.it"), to=who("giulia"),
        subject="Giulia, le novità di novembre scelte dai nostri librai 📚", date=d, msgid=f"<{hexs('m09', 32)}@news.lafeltrinelli.it>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "m09", "ses"), mailfrom=f"bounce-{alnum('m09b', 16)}@news.lafeltrinelli.it",
        ip="185.132.180.44", helo="mta44.news.lafeltrinelli.it", dkim=[("news.lafeltrinelli.it", "nl2024")], lang="it",
        after=[("Precedence", "bulk"), ("X-Campaign", "novita-novembre-2026")] + unsub("https://www.lafeltrinelli.it/newsletter/disiscrizione?t=" + alnum("m09u", 24)))


def m10_pgsql_announce():
    d = when(12, 14, 10, 22)
    txt = """The PostgreSQL Global Development Group has released an update to all
supported versions of PostgreSQL, including 19.1, 18.5, 17.9, 16.13, and
15.17. This release fixes 2 security vulnerabilities and over 40 bugs
reported over the last several months.

For the full list of changes, please review the release notes:

  https://www.postgresql.org/docs/release/

Security Issues
---------------

* CVE-2026-1094: Incorrect privilege checks on ALTER ... SET in extension
  scripts. Versions affected: 15 - 19.
* CVE-2026-1095: Memory disclosure in the JSON path parser with crafted
  input. Versions affected: 17 - 19.

Bug Fixes and Improvements
--------------------------

This update fixes over 40 bugs that were reported in the last several
months. Some of these issues only affect version 19, but many affect all
supported versions. Highlights include:

* Fix a crash in logical replication when a published table is
  truncated during the initial sync.
* Avoid excessive memory use when VACUUM processes very wide indexes.
* Fix incorrect results from incremental sort with volatile expressions.
* Several fixes for pg_upgrade with large numbers of large objects.

Updating
--------

All PostgreSQL update releases are cumulative. As with other minor
releases, users are not required to dump and reload their database or
use pg_upgrade in order to apply this update release; you may simply
shut down PostgreSQL and update its binaries.

Links
-----

* Download: https://www.postgresql.org/download/
* Release Notes: https://www.postgresql.org/docs/release/
* Security: https://www.postgresql.org/support/security/
* Versioning Policy: https://www.postgresql.org/support/versioning/

If you have corrections or suggestions for this release announcement,
please send them to the pgsql-www@lists.postgresql.org public mailing
list.
"""
    add("m10-pgsql-announce-list", "newsletter", frm=addr("PostgreSQL Global Development Group", "noreply@postgresql.org"),
        to=addr("PostgreSQL Announce", "pgsql-announce@lists.postgresql.org"), rcpt="tomasz.nowak@example.net",
        subject="PostgreSQL 19.1, 18.5, 17.9, 16.13, and 15.17 Released!", date=d, msgid=f"<{digits('m10', 18)}.{digits('m10a', 6)}@wrigleys.postgresql.org>",
        body=text(txt, cte="7bit"), mailfrom="pgsql-announce-owner+M4417=tomasz.nowak=example.net@lists.postgresql.org", ip="217.196.149.56",
        helo="malur.postgresql.org", dkim=[("lists.postgresql.org", "malur")], from_dom="postgresql.org", dmarc="p=NONE sp=NONE dis=NONE",
        inner=[f"from wrigleys.postgresql.org ([2001:4800:3e1:1::229])\n\tby malur.postgresql.org with esmtp (Exim 4.96)\n\t(envelope-from <noreply@postgresql.org>)\n\tid 1tK8Qm-00071x-0B\n\tfor pgsql-announce@lists.postgresql.org; {rfcdate(d)}"],
        after=[("List-Id", "<pgsql-announce.lists.postgresql.org>"), ("List-Help", "<https://lists.postgresql.org/manage/>"),
               ("List-Subscribe", "<https://lists.postgresql.org/manage/>"), ("List-Post", "NO (posting not allowed on this list)"),
               ("List-Owner", "<mailto:pgsql-announce-owner@lists.postgresql.org>"), ("List-Archive", "<https://www.postgresql.org/list/pgsql-announce>"),
               ("Precedence", "bulk")] + unsub("https://lists.postgresql.org/unsubscribe/" + hexs("m10u", 40) + "/", post=True))


def m11_outdoor_shop():
    d = when(24, 8, 0, 0)
    st = dict(font="'Helvetica Neue',Helvetica,Arial,sans-serif", accent="#3c5a40", color="#1f1f1f", muted="#5c5c5c", bg="#ecebe6")
    U = lambda u, c: utm(u, "crm", "repair-week-2026", content=c)
    blocks = [
        ("img", "https://cdn.fellandfjord.example/email/2026/repair-week-hero.jpg", "A jacket being repaired on a sewing machine", 536),
        ("h1", "Repair Week: bring us your tired kit"),
        ("p", "Before you buy a new jacket this winter, let us have a look at the old one. From **30 November to 6 December**, our workshops in Kendal and Edinburgh will repair zips, patch holes and re-proof waterproofs for free, whatever brand they are. Book a slot so we're ready for you."),
        ("btn", "Book a repair slot", U("https://www.fellandfjord.example/repair-week", "hero")),
        ("h2", "If you do need something new"),
        ("items", [("Scafell 3L waterproof jacket (men's & women's)", 1, "£189"), ("Merino 200 base layer, recycled wool blend", 1, "£65"), ("Trail gaiters, PFC-free", 1, "£38")],
         [("Members get free delivery and returns", "")]),
        ("p", "We'll take your old kit back for resale or recycling and give you a **£15 voucher** towards anything new. [How Second Ascent works](" + U("https://www.fellandfjord.example/second-ascent", "tradein") + ")."),
        ("small", "Free repairs are limited to one item per person and to repairs our workshop can complete in under an hour."),
    ]
    blocks[5] = ("items", blocks[5][1], [("Free delivery for members", "£0")])
    footer = ["Fell & Fjord Outdoor Ltd, 3 Stricklandgate, Kendal LA9 4LY · Company no. 08812345",
              "You're receiving this because you joined Fell & Fjord Members. [Email preferences](https://www.fellandfjord.example/account/email) · [Unsubscribe](https://www.fellandfjord.example/unsubscribe?u=" + alnum("m11u", 22) + ")"]
    htm = shop("Fell & Fjord", st, "Free repairs for any brand, 30 Nov – 6 Dec", blocks, foot(footer), logo="https://cdn.fellandfjord.example/email/logo-light.png",
               pixel=f"https://click.fellandfjord.example/o/{alnum('m11p', 32)}", header_bg="#3c5a40")
    add("m11-outdoor-shop-repair-week", "newsletter", frm=addr("Fell & Fjord", "hello@fellandfjord.example"), to=who("lena"),
        subject="Repair Week: free fixes for any brand of outdoor kit", date=d, msgid=f"<{hexs('m11', 26)}@click.fellandfjord.example>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "m11", "sg", html_cte="quoted-printable"),
        mailfrom=f"bounces+{digits('m11b', 7)}-{hexs('m11c', 4)}-lena.hoffmann=example.net@click.fellandfjord.example", ip="198.51.100.188",
        helo="o188.click.fellandfjord.example", dkim=[("fellandfjord.example", "s1")],
        after=[("Precedence", "bulk"), ("X-SG-EID", b64s("m11sg", 72))] + unsub("https://www.fellandfjord.example/unsubscribe?u=" + alnum("m11u", 22)))


def m12_conference():
    d = when(17, 10, 12, 0, 60)
    txt = """Hello from the PyCon DE & PyData team!

Three things for you today:

1. EARLY-BIRD TICKETS ARE ON SALE
   PyCon DE & PyData 2027 takes place from 19 to 21 April 2027 at the
   Darmstadtium in Darmstadt. Early-bird tickets are available until
   15 January or until they're gone:
   https://2027.pycon.de/tickets/?utm_source=newsletter&utm_medium=email&utm_campaign=nl-2026-11

2. CALL FOR PROPOSALS CLOSES 20 DECEMBER
   We'd love to hear from first-time speakers in particular. Talks are
   30 minutes, tutorials 90. If you're unsure whether your idea is a
   good fit, join one of our open CfP office hours (online, 25 November
   and 9 December, 18:00 CET).
   https://2027.pycon.de/cfp/

3. FINANCIAL AID
   Applications for travel and ticket grants open on 1 December. Our
   aid programme is funded by sponsors and by the "Pay it forward"
   ticket option.

Thank you for being part of the community,
Your PyCon DE & PyData organising team

--
Python Softwareverband e.V. · Postfach 10 02 45 · 40802 Mettmann
You receive this newsletter because you subscribed on pycon.de.
Unsubscribe: https://2027.pycon.de/newsletter/unsubscribe/?t=""" + alnum("m12u", 24) + "\n"
    add("m12-conference-newsletter", "newsletter", frm=addr("PyCon DE & PyData", "newsletter@pycon.de"), to=who("tom"),
        subject="PyCon DE & PyData 2027: early-bird tickets, CfP and financial aid", date=d, msgid=f"<{hexs('m12', 16)}.{digits('m12a', 10)}@pycon.de>",
        body=text(txt, cte="7bit"), mailfrom=f"newsletter-bounces+{alnum('m12b', 10)}@pycon.de", ip="148.251.12.77", helo="mail.pycon.de",
        dkim=[("pycon.de", "mail")], inner=[f"from localhost (localhost [127.0.0.1])\n\tby mail.pycon.de (Postfix) with ESMTP id {alnum('m12q', 10)}\n\tfor <tomasz.nowak@example.net>; {rfcdate(d)}"],
        after=[("Precedence", "bulk"), ("X-Mailer", "listmonk")] + unsub("https://2027.pycon.de/newsletter/unsubscribe/?t=" + alnum("m12u", 24)))


def m13_council():
    d = when(20, 12, 0, 0)
    st = dict(font="Arial,Helvetica,sans-serif", accent="#00703c", color="#0b0c0c", muted="#505a5f", bg="#f3f2f1", link="#1d70b8")
    blocks = [
        ("h1", "Bin collections over Christmas and New Year"),
        ("p", "Collections will change over the holidays. Please check your new day below and put your bins out by 7am."),
        ("kv", [("Usual day: Thursday 24 Dec", "Collected Wednesday 23 Dec"), ("Usual day: Friday 25 Dec", "Collected Saturday 26 Dec"),
                ("Usual day: Friday 1 Jan", "Collected Saturday 2 Jan")]),
        ("p", "Christmas trees can be left next to your garden waste bin from 4 to 15 January. Please remove all decorations, lights and the stand, and cut trees taller than 2 metres in half."),
        ("h2", "Also this month"),
        ("list", ["[Warm spaces](https://www.larkfield.gov.example/warm-spaces): 22 libraries and community centres are open for anyone who wants somewhere warm to spend the day.",
                  "[Have your say on the new cycle lanes](https://consult.larkfield.gov.example/transport/station-road) on Station Road — consultation closes 11 December.",
                  "Council Tax: if your circumstances have changed, you may be entitled to a [reduction](https://www.larkfield.gov.example/council-tax/reduction)."]),
    ]
    footer = ["You have subscribed to Larkfield Council news. [Manage your subscriptions](https://public.govdelivery.example/accounts/LARKFIELD/subscriber/edit) · [Unsubscribe](https://public.govdelivery.example/accounts/LARKFIELD/subscriber/one_click_unsubscribe?verification=" + alnum("m13u", 30) + ")",
              "Larkfield Borough Council, Town Hall, Market Square, Larkfield LK1 1AA"]
    htm = shop("Larkfield Council", st, "Check your new collection day, and what to do with your tree", blocks, foot(footer),
               logo="https://content.govdelivery.example/attachments/fancy_images/LARKFIELD/2024/03/logo.png", pixel=f"https://links.govdelivery.example/track?type=open&enid={alnum('m13p', 40)}", header_bg="#0b0c0c")
    add("m13-council-bin-collections", "newsletter", frm=addr("Larkfield Borough Council", "larkfield@public.govdelivery.example"), to=who("jo"),
        subject="Christmas bin collection changes and other news from Larkfield", date=d, msgid=f"<{digits('m13', 8)}.{digits('m13a', 8)}@public.govdelivery.example>",
        body=alt(blocks_text(blocks) + "\n" + foot_text(footer), htm, "m13", "py", html_cte="quoted-printable"),
        mailfrom=f"bounce-{digits('m13b', 8)}-{digits('m13c', 9)}@public.govdelivery.example", ip="192.0.2.161", helo="mailout61.govdelivery.example",
        dkim=[("public.govdelivery.example", "gd1")], after=[("Precedence", "bulk"), ("X-Accounttype", "gov")]
        + unsub("https://public.govdelivery.example/accounts/LARKFIELD/subscriber/one_click_unsubscribe?verification=" + alnum("m13u", 30)))

# ================================================================ people and business mail

def gmail_html(body, quote_head=None, quote=None):
    """The HTML part Gmail writes beside the text one."""
    paras = body.strip("\n").split("\n\n")
    inner = "<div><br></div>".join("<div>" + "<br>".join(_html.escape(l, quote=False) for l in p.split("\n")) + "</div>" for p in paras)
    h = f'<div dir="ltr">{inner}</div>'
    if quote:
        q = "<br>".join(_html.escape(l, quote=False) for l in quote.strip("\n").split("\n"))
        h += (f'<br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">{_html.escape(quote_head)}<br></div>'
              f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">{q}</blockquote></div>')
    return h + "\n"


def quoted(s):
    return "\n".join((">" + l if l.startswith(">") else "> " + l) if l else ">" for l in s.strip("\n").split("\n")) + "\n"


def internal(seed, date, sender):
    """Trace of mail sent inside the organisation through its Microsoft 365 tenant."""
    return dict(ip="40.107.20.93", helo="EUR05-VI1-obe.outbound.protection.outlook.com", rdns="mail-vi1eur05on2093.outbound.protection.outlook.com",
                dkim=[("example.net", "selector1")], arc=("microsoft.com", "arcselector10001"), mailfrom=sender,
                inner=[f"from AM9PR02MB6611.eurprd02.prod.outlook.com ([fe80::41d2:7e0:9ac3:5b1]) by\n AM9PR02MB6611.eurprd02.prod.outlook.com ([fe80::41d2:7e0:9ac3:5b1%6]) with mapi id\n 15.20.8769.017; {rfcdate(date)}"])


def outlook_html(body):
    paras = body.strip("\n").split("\n\n")
    divs = "\n".join('<div class="elementToProof" style="font-family:Aptos,Aptos_EmbeddedFont,Aptos_MSFontService,Calibri,Helvetica,sans-serif;font-size:11pt;color:rgb(0,0,0)">'
                     + "<br>".join(_html.escape(l, quote=False) for l in p.split("\n")) + "</div>\n<div style=\"font-size:11pt\"><br></div>" for p in paras)
    return ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>\n</head>\n<body dir="ltr">\n' + divs + "\n</body>\n</html>\n")


def p01_colleague_reply():
    d = when(18, 9, 41, 12)
    sender = "dev.patel@example.net"
    body = """Morning Sam,

Yes, Thursday works. I've dropped the revised deck into the team folder:
slides 4-7 have the new numbers, and I took out the old timeline slide
since nobody could read it anyway.

Could you check slide 6? I'm not sure the Q3 figure matches what finance
sent on Monday.

Dev
"""
    prev = """From: Sam Whitfield <sam@example.net>
Sent: Tuesday, November 17, 2026 5:58 PM
To: Dev Patel <dev.patel@example.net>
Subject: slides for Thursday

Hi Dev,

Are you OK to present the roadmap bit on Thursday? 15 minutes max. If
you can get me the slides by Wednesday lunchtime I'll merge them into
the main deck.

Thanks,
Sam
"""
    txt = body + "\n________________________________\n" + prev
    htm = outlook_html(body).replace("</body>", '<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%" tabindex="-1">\n<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> Sam Whitfield &lt;sam@example.net&gt;<br><b>Sent:</b> Tuesday, November 17, 2026 5:58 PM<br><b>To:</b> Dev Patel &lt;dev.patel@example.net&gt;<br><b>Subject:</b> slides for Thursday</font>\n<div>&nbsp;</div></div>\n<div class="BodyFragment"><font size="2"><span style="font-size:11pt;"><div class="PlainText">Hi Dev,<br><br>Are you OK to present the roadmap bit on Thursday? 15 minutes max. If<br>you can get me the slides by Wednesday lunchtime I\'ll merge them into<br>the main deck.<br><br>Thanks,<br>Sam</div></span></font></div>\n</body>')
    tr = internal("p01", d, sender)
    add("p01-colleague-reply-slides", "person", frm=addr("Dev Patel", sender), to=who("sam"), subject="RE: slides for Thursday", date=d,
        msgid=f"<AM9PR02MB6611{alnum('p01', 20).upper()}@AM9PR02MB6611.eurprd02.prod.outlook.com>",
        body=alt(txt, htm, "p01", "outlook"), headers=[("Thread-Topic", "slides for Thursday"), ("Thread-Index", "AQH" + b64s("p01ti", 24)),
        ("In-Reply-To", f"<AM9PR02MB6611{alnum('p01prev', 20).upper()}@AM9PR02MB6611.eurprd02.prod.outlook.com>"),
        ("References", f"<AM9PR02MB6611{alnum('p01prev', 20).upper()}@AM9PR02MB6611.eurprd02.prod.outlook.com>"), ("Accept-Language", "en-GB, en-US"), ("Content-Language", "en-GB")],
        after=[("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", "")], **tr)


def p02_customer_quote():
    d = when(9, 21, 14, 33)
    g = gmail("p02", d)
    body = """Hello,

I found you through the Hackney business directory. We run a small
café on Chatsworth Road (about 40 covers) and are looking for someone
to redo our website and set up online ordering for takeaway.

What we'd need:
- a simple site with the menu, opening hours and some photos
- online ordering with collection times, paid by card
- something we can update ourselves when the menu changes

We don't have a big budget, but we'd rather pay for something that
works than patch it ourselves again. Could you give me a rough idea of
cost and how long it would take? Happy to have a call next week if
that's easier - I'm free most afternoons after 3.

Many thanks,
Rosa Lindqvist
Lindqvist & Daughter
07700 900218
"""
    add("p02-customer-asks-for-quote", "person", frm=addr("Rosa Lindqvist", "rosa.lindqvist.cafe@gmail.com"), to=who("sales"),
        subject="Quote for website and online ordering?", date=d, msgid=gmid("p02"),
        body=alt(body, gmail_html(body), "p02", "gmail"), mailfrom="rosa.lindqvist.cafe@gmail.com", from_dom="gmail.com", **g)


def p03_hr_note():
    d = when(6, 11, 20, 45)
    sender = "people@example.net"
    body = """Hi everyone,

A few people-related things before the end of the year:

1. Holiday carry-over. You can carry up to 5 days of unused annual
   leave into 2027. Anything above that will be lost unless your
   manager has agreed otherwise in writing. Please check your balance
   in BreatheHR and book what you can before 18 December.

2. Office closure. The office will be closed from 24 December and
   reopens on 4 January. These days don't come out of your holiday
   allowance.

3. Benefits renewal. The updated benefits summary for 2027 is
   attached. The main change is that the cycle-to-work limit goes up
   to £3,000. If you want to join the dental plan, tell me by
   30 November.

4. Christmas lunch is on Friday 11 December at The Albion. Dietary
   requirements to me by Friday this week, please.

Any questions, my door (and inbox) is open.

Best,
Helen

Helen Ashworth
People & Operations
Example Net Ltd
"""
    docx = tiny_docx(["Benefits summary 2027", "Pension: employer contribution 5%, employee 5% (salary sacrifice available).",
                      "Private medical insurance: employee cover included; family cover at group rate.",
                      "Dental plan: optional, £9.50 per month, sign up by 30 November.",
                      "Cycle to work: limit raised to £3,000.", "Eye tests: reimbursed up to £25 per year.",
                      "Employee assistance programme: free, confidential, 24/7."])
    tr = internal("p03", d, sender)
    body_part = multi("mixed", [alt(body, outlook_html(body), "p03", "outlook"),
                                attach("application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx, "Benefits summary 2027.docx")], "p03", "outlook")
    add("p03-hr-end-of-year-note-docx", "person", frm=addr("Helen Ashworth", sender), to=addr("All staff", "staff@example.net"), rcpt="priya.raman@example.net",
        subject="Holiday carry-over, office closure and 2027 benefits", date=d,
        msgid=f"<AM9PR02MB6611{alnum('p03', 20).upper()}@AM9PR02MB6611.eurprd02.prod.outlook.com>", body=body_part,
        headers=[("Thread-Topic", "Holiday carry-over, office closure and 2027 benefits"), ("Thread-Index", "AdtQ" + b64s("p03ti", 18)),
                 ("Accept-Language", "en-GB, en-US"), ("Content-Language", "en-GB")],
        after=[("X-MS-Has-Attach", "yes"), ("X-MS-TNEF-Correlator", "")], **tr)


def p04_landlord_de_latin1():
    d = when(10, 19, 3, 29, 60)
    body = """Sehr geehrte Frau Hoffmann,

wie bereits im Treppenhaus angekündigt, findet die jährliche Wartung
der Gasetagenheizung in allen Wohnungen am

    Donnerstag, 19. November 2026, zwischen 8:00 und 12:00 Uhr

statt. Die Firma Heizungsbau Krüger wird außerdem die Rauchmelder
prüfen. Bitte sorgen Sie dafür, dass die Therme in der Küche und die
Heizkörper frei zugänglich sind.

Falls Sie an diesem Tag nicht zu Hause sein können, geben Sie mir bitte
bis Montag Bescheid. Sie können den Schlüssel dann gerne bei mir
(Erdgeschoss links) hinterlegen, oder wir vereinbaren einen Ersatztermin.

Außerdem noch zur Info: Die Nebenkostenabrechnung für 2025 verschicke
ich Anfang Dezember per Post.

Mit freundlichen Grüßen

Gerhard Wollenweber
Grünberger Str. 41, 10245 Berlin
Tel. 030 2946 1187
"""
    add("p04-vermieter-heizungswartung-latin1", "person", frm=addr("Gerhard Wollenweber", "g.wollenweber@web.de", charset="iso-8859-1"), to=who("lena"),
        subject="Wartung Gasheizung am Donnerstag, 19.11.", date=d, msgid=f"<trinity-{hexs('p04', 8)}-{hexs('p04a', 4)}-{hexs('p04b', 4)}-{hexs('p04c', 4)}-{hexs('p04d', 12)}-{digits('p04e', 13)}@3c-app-webde-bs14>",
        body=text(body, charset="iso-8859-1", cte="quoted-printable"), charset="iso-8859-1", mailfrom="g.wollenweber@web.de",
        ip="217.72.192.78", helo="mout.web.de", dkim=[("web.de", "s29768273")], lang="de", dmarc="p=QUARANTINE sp=QUARANTINE dis=NONE",
        inner=[f"from [91.64.112.9] ([91.64.112.9]) by web-mail.web.de\n (3c-app-webde-bs14.server.lan [172.19.170.14]) (via HTTP); {rfcdate(d)}"],
        after=[("Importance", "normal"), ("Sensitivity", "Normal"), ("X-Priority", "3"), ("X-Provags-ID", "V03:K1:" + b64s("p04pv", 60)),
               ("X-UI-Message-Type", "mail"), ("X-UI-Out-Filterresults", "notjunk:1;V03:K0:" + alnum("p04f", 11) + "=")])


def p05_family_iphone():
    d = when(15, 20, 37, 9)
    g = gmail("p05", d)
    body = """Hi love,

Dad and I have been talking about Christmas. We'd love to have everyone
here this year if you can manage it - Auntie Bea is coming on the 26th
and she keeps asking after you.

If you come on the 23rd you can have the back bedroom, your brother
is taking the sofa bed (his choice!!).

No pressure, just let me know when you know. And tell Joe he's very
welcome too of course.

Lots of love,
Mum xx

Sent from my iPhone
"""
    add("p05-family-christmas-plans", "person", frm=addr("Margaret Berg", "maggie.berg58@gmail.com"), to=addr("", "anna.berg@example.net"),
        subject="Christmas", date=d, msgid=f"<{hexs('p05', 8).upper()}-{hexs('p05a', 4).upper()}-{hexs('p05b', 4).upper()}-{hexs('p05c', 4).upper()}-{hexs('p05d', 12).upper()}@gmail.com>",
        body=text(body, cte="quoted-printable", flowed=False, ctype_extra=""), mailfrom="maggie.berg58@gmail.com", from_dom="gmail.com",
        after=[("X-Mailer", "iPhone Mail (22B91)")], **g)


def p06_supplier_thread():
    d = when(20, 15, 22, 6)
    body = """Hi Joseph,

Thanks, that's clear. I've spoken to the warehouse: we can split the
order as you suggest. 40 units go out on Monday 23rd with DPD (tracking
to follow), and the remaining 20 as soon as the next batch clears QC,
which should be the week of 7 December.

On the price: we can hold £84.50/unit for the whole 60 as long as the
PO covers both deliveries. I'll send an updated quote in the morning.

Best,
Kate

Kate Morrow | Account Manager
Brightwell Displays Ltd | 0161 496 0732
"""
    prev = """On 20/11/2026 12:05, Joseph Okafor wrote:
> Hi Kate,
>
> That's a shame about the delay. Would it be possible to split it? We
> need about 40 of them for the Leeds fit-out on the 25th, and the rest
> can wait until December.
>
> Also, is the £84.50 still valid if we split the delivery?
>
> Thanks,
> Joseph
>
> On 19/11/2026 16:47, Kate Morrow wrote:
>> Hi Joseph,
>>
>> Quick update on order BW-22817 (60 x 43" wall-mount displays): our
>> supplier has told us the last 20 won't be with us until early
>> December. I'm sorry, I know you were hoping for everything this month.
>>
>> Let me know how you'd like us to proceed.
>>
>> Kate
"""
    add("p06-supplier-reply-thread", "person", frm=addr("Kate Morrow", "kate.morrow@brightwell-displays.co.uk"), to=who("jo"),
        subject="Re: Order BW-22817 - delivery date", date=d, msgid=f"<{hexs('p06', 8)}-{hexs('p06a', 4)}-{hexs('p06b', 4)}-{hexs('p06c', 4)}-{hexs('p06d', 12)}@brightwell-displays.co.uk>",
        headers=[("In-Reply-To", "<3f1d7a0c-5e2b-4c88-9d41-7b6e2a90f113@example.net>"),
                 ("References", "<b81e2c44-0a7f-4d1b-8e3c-2f5d96a1c7e0@brightwell-displays.co.uk>\n <3f1d7a0c-5e2b-4c88-9d41-7b6e2a90f113@example.net>"),
                 ("Cc", addr("Orders", "orders@brightwell-displays.co.uk")), ("Content-Language", "en-GB"),
                 ("User-Agent", "Mozilla Thunderbird")],
        body=text(body + "\n" + prev, flowed=True, cte="8bit"), mailfrom="kate.morrow@brightwell-displays.co.uk", ip="185.57.81.14",
        helo="smtp.brightwell-displays.co.uk", dkim=[("brightwell-displays.co.uk", "default")], dmarc="p=QUARANTINE sp=QUARANTINE dis=NONE",
        inner=[f"from [192.168.10.37] (unknown [81.2.69.160])\n\t(Authenticated sender: kate.morrow@brightwell-displays.co.uk)\n\tby smtp.brightwell-displays.co.uk (Postfix) with ESMTPSA id {alnum('p06q', 11)}\n\tfor <j.okafor@example.net>; {rfcdate(d)}"])


def p07_mailing_list_post():
    d = when(7, 10, 48, 17, 60)
    body = """Hi all,

On Thu, Nov 05, 2026 at 09:12:44PM +0000, Peter Brandt wrote:
> Has anyone managed to get the new firmware on the TP-Link ER605 to
> keep WireGuard tunnels up for more than a day? Mine drop every
> 20-26 hours and only come back after a reboot.

I had the same pattern. It turned out to be the key rotation: the
router renegotiates every 24 h, and if the other end is behind NAT
without PersistentKeepalive the handshake never completes.

Setting PersistentKeepalive = 25 on the peer behind NAT fixed it for
me (running 1.3.2 Build 20261014 for three weeks now, no drops).

If that doesn't help, it's worth running "wg show" on the far end
while it's down: if "latest handshake" is more than 3 minutes old,
it's almost certainly the same thing.

For the meetup on the 19th: I can bring the spare ER605 if anyone wants
to poke at it.

Cheers,
Tomasz

-- 
Tomasz Nowak
"""
    add("p07-mailing-list-discussion", "person", frm=addr("Tomasz Nowak", "tomasz.nowak@example.net"), to=addr("", "hackspace-discuss@lists.londonhackspace.example"),
        rcpt="lucas.vandijk@example.net", subject="Re: [hackspace-discuss] ER605 WireGuard tunnels dropping after a day", date=d,
        msgid=f"<Z{alnum('p07', 15)}@thinkpad-t14>",
        headers=[("In-Reply-To", "<CAF3u9kTq0xW2yR7pL8mN1vB4cZ6dE5gH0jK9sA@mail.gmail.com>"),
                 ("References", "<CAF3u9kTq0xW2yR7pL8mN1vB4cZ6dE5gH0jK9sA@mail.gmail.com>"), ("Mail-Followup-To", "hackspace-discuss@lists.londonhackspace.example"),
                 ("User-Agent", "Mutt/2.2.13 (2024-03-09)")],
        body=text(body, cte="7bit"), mailfrom="hackspace-discuss-bounces+lucas.vandijk=example.net@lists.londonhackspace.example",
        ip="198.51.100.31", helo="lists.londonhackspace.example", from_dom="example.net",
        dkim=[("example.net", "selector1", ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Mail-Followup-To", "MIME-Version", "Content-Type")),
              ("lists.londonhackspace.example", "lists")],
        inner=[f"from lists.londonhackspace.example (localhost [127.0.0.1])\n\tby lists.londonhackspace.example (Postfix) with ESMTP id {alnum('p07q', 10)}\n\tfor <lucas.vandijk@example.net>; {rfcdate(d)}"],
        after=[("X-BeenThere", "hackspace-discuss@lists.londonhackspace.example"), ("X-Mailman-Version", "2.1.39"), ("Precedence", "list"),
               ("List-Id", "London Hackspace discussion <hackspace-discuss.lists.londonhackspace.example>"),
               ("List-Unsubscribe", "<https://lists.londonhackspace.example/mailman/options/hackspace-discuss>,\n <mailto:hackspace-discuss-request@lists.londonhackspace.example?subject=unsubscribe>"),
               ("List-Archive", "<https://lists.londonhackspace.example/pipermail/hackspace-discuss/>"),
               ("List-Post", "<mailto:hackspace-discuss@lists.londonhackspace.example>"),
               ("List-Help", "<mailto:hackspace-discuss-request@lists.londonhackspace.example?subject=help>"),
               ("List-Subscribe", "<https://lists.londonhackspace.example/mailman/listinfo/hackspace-discuss>,\n <mailto:hackspace-discuss-request@lists.londonhackspace.example?subject=subscribe>"),
               ("Errors-To", "hackspace-discuss-bounces+lucas.vandijk=example.net@lists.londonhackspace.example"),
               ("Sender", '"hackspace-discuss" <hackspace-discuss-bounces+lucas.vandijk=example.net@lists.londonhackspace.example>')])


def p08_meeting_notes():
    d = when(13, 16, 55, 40)
    sender = "priya.raman@example.net"
    body = """Hi both,

Notes from this afternoon's call with Larkfield Council, so we're all
working from the same list. Shout if I've missed or misremembered
anything.

Attendees: Nadia Chowdhury and Rob Stevens (Larkfield), Joseph, Lucas,
me.

What they liked
- The new navigation. Rob said the "report a problem" journey tested
  much better with residents than the old one.
- The plain-English rewrite of the council tax pages.

What they want changed
- The homepage search box needs to be bigger and higher up. They want
  it above the fold on mobile.
- The bin day lookup should remember the last postcode (cookie is
  fine, they've checked with their DPO).
- They're nervous about the colour contrast on the secondary buttons.
  Lucas to run the checker again and send them the results.

Decisions
- Go-live moves from 7 to 14 December to allow for the changes above.
- We'll do a soft launch to council staff on 10 December.
- Training for their content editors: two sessions, week of 4 January.

Actions
- Lucas: contrast check and fixes, by Wednesday 18th.
- Joseph: revised timeline and a change request for the extra week, by
  Monday.
- Me: book the training sessions and send the agenda.

Next check-in is Thursday 19th at 10:00, same Teams link.

Priya
"""
    tr = internal("p08", d, sender)
    add("p08-colleague-meeting-notes", "person", frm=addr("Priya Raman", sender), to=fold([who("jo"), who("lucas")]), rcpt="j.okafor@example.net",
        subject="Notes: Larkfield website review call, 13 Nov", date=d,
        msgid=f"<AM9PR02MB6611{alnum('p08', 20).upper()}@AM9PR02MB6611.eurprd02.prod.outlook.com>", body=alt(body, outlook_html(body), "p08", "outlook", html_cte="base64"),
        headers=[("Thread-Topic", "Notes: Larkfield website review call, 13 Nov"), ("Thread-Index", "AdtV" + b64s("p08ti", 18)), ("Accept-Language", "en-GB, en-US"), ("Content-Language", "en-GB")],
        after=[("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", "")], **tr)


def p09_accountant():
    d = when(16, 9, 5, 52)
    body = """Dear Anna,

I hope you're well. As we get towards the end of the year I wanted to
give you plenty of notice for the self-assessment return, which is due
by 31 January.

Could you send me the following when you have a moment?

  1. P60 from Harbourline for 2025/26
  2. Rental income and expenses for the flat (a spreadsheet is fine,
     or the agent's annual statement)
  3. Any pension contributions you made personally, outside payroll
  4. Gift Aid donations, if you'd like to claim them
  5. Interest from savings accounts over £1,000

You can upload everything to the secure portal as before:
https://portal.marshandco-accountants.example/client/upload

If it's easier, I'm happy to go through it on a call. I have slots on
Tuesday and Thursday afternoons in the next two weeks.

Kind regards,

David Marsh FCCA
Marsh & Co Chartered Accountants
2 Wellington Court, Hertford SG14 1AQ
01992 500 611

Marsh & Co is a trading name of Marsh Accountancy Ltd, registered in
England No. 07711223. This email and any attachments are confidential
and intended solely for the addressee.
"""
    add("p09-accountant-documents-request", "person", frm=addr("David Marsh", "david@marshandco-accountants.example"), to=who("anna"),
        subject="Self-assessment 2025/26 - information needed", date=d, msgid=f"<{digits('p09', 12)}.{hexs('p09a', 8)}@marshandco-accountants.example>",
        body=text(body, cte="7bit"), mailfrom="david@marshandco-accountants.example", ip="203.0.113.15", helo="mail.marshandco-accountants.example",
        dkim=[("marshandco-accountants.example", "mail")], dmarc="p=NONE sp=NONE dis=NONE",
        inner=[f"from DESKTOP-DM02 (host-86-14-220-3.example [192.0.2.83])\n\tby mail.marshandco-accountants.example with ESMTPSA id {alnum('p09q', 10)}\n\tfor <anna.berg@example.net>; {rfcdate(d)}"],
        after=[("X-Mailer", "Microsoft Outlook 16.0"), ("Thread-Index", "AQ" + b64s("p09ti", 20)), ("Content-Language", "en-gb")])


def p10_friend_dinner():
    d = when(26, 13, 2, 18)
    g = gmail("p10", d)
    body = """Dinner at ours on Saturday the 5th? Around 7. Ben's making his lasagne.
Bring Priya if she's free!

F
"""
    add("p10-friend-dinner-three-lines", "person", frm=addr("Fiona McAllister", "fiona.mcallister@gmail.com"), to=who("jo"),
        subject="Sat 5th?", date=d, msgid=gmid("p10"), body=alt(body, gmail_html(body), "p10", "gmail"),
        mailfrom="fiona.mcallister@gmail.com", from_dom="gmail.com", **g)


def p11_signed_contract():
    d = when(4, 17, 31, 2)
    pdf = tiny_pdf(["SERVICES AGREEMENT", "", "between Cedar & Finch Interiors Ltd (the Client)", "and Example Net Ltd (the Supplier)", "",
                    "1. Scope: design and build of the Client's website and booking system,", "   as set out in Schedule 1 (Proposal v2, 21 October 2026).",
                    "2. Fees: GBP 18,400 plus VAT, payable in three instalments.", "3. Term: from signature until acceptance of the final deliverable.", "",
                    "Signed for the Client: Imogen Finch, Managing Director, 4 November 2026"], "Services Agreement - signed")
    body = """Hi Joseph,

Please find attached the signed agreement. I've initialled the change
to clause 5 (payment terms to 30 days) that we agreed on the phone.

Looking forward to getting started. Would Monday 16th work for the
kick-off? Our office is fine, or yours, whichever is easier.

Best wishes,
Imogen

Imogen Finch
Managing Director
Cedar & Finch Interiors
www.cedarandfinch.example
"""
    htm = ('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">'
           '<div>Hi Joseph,</div><div><br></div><div>Please find attached the signed agreement. I’ve initialled the change to clause 5 (payment terms to 30 days) that we agreed on the phone.</div>'
           '<div><br></div><div>Looking forward to getting started. Would Monday 16th work for the kick-off? Our office is fine, or yours, whichever is easier.</div>'
           '<div><br></div><div>Best wishes,</div><div>Imogen</div><div><br></div><div><b>Imogen Finch</b><br>Managing Director<br>Cedar &amp; Finch Interiors<br>'
           '<a href="https://www.cedarandfinch.example">www.cedarandfinch.example</a></div></body></html>\n')
    body_part = multi("mixed", [alt(body.replace("I've", "I’ve"), htm, "p11", "apple", text_cte="quoted-printable"),
                                attach("application/pdf", pdf, "Services Agreement - Cedar & Finch - signed.pdf", disp="attachment")], "p11", "apple")
    add("p11-client-signed-contract-pdf", "person", frm=addr("Imogen Finch", "imogen@cedarandfinch.example"), to=who("jo"),
        subject="Signed agreement", date=d, msgid=f"<{hexs('p11', 8).upper()}-{hexs('p11a', 4).upper()}-{hexs('p11b', 4).upper()}-{hexs('p11c', 4).upper()}-{hexs('p11d', 12).upper()}@cedarandfinch.example>",
        body=body_part, mailfrom="imogen@cedarandfinch.example", ip="198.51.100.77", helo="smtp.cedarandfinch.example",
        dkim=[("cedarandfinch.example", "fm2")], dmarc="p=NONE sp=NONE dis=NONE",
        headers=[("In-Reply-To", "<b3f0c2a1-7d44-4e0a-9f6b-21c5e8d0aa17@example.net>"), ("References", "<b3f0c2a1-7d44-4e0a-9f6b-21c5e8d0aa17@example.net>")],
        after=[("X-Mailer", "Apple Mail (2.3826.300.87.4.3)")])


def p12_colega_es():
    d = when(24, 10, 16, 40, 60)
    body = """Hola Carmen:

Te resumo cómo vamos con el proyecto de la clínica dental, por si
quieres comentarlo con ellos el jueves.

- La migración de la agenda antigua está terminada. Hemos pasado
  12.400 citas y solo 37 necesitaron revisión manual (casi todas por
  teléfonos mal escritos).
- El envío de recordatorios por SMS funciona en pruebas. Falta que nos
  confirmen el remitente que quieren que aparezca.
- Lo que más me preocupa es la integración con el TPV: el proveedor no
  nos ha mandado todavía las credenciales de producción. Si no llegan
  antes del viernes, el arranque del día 1 se complica.

¿Puedes insistirles tú? A mí ya no me contestan. 😅

Por lo demás, el equipo está contento y vamos bien de horas: llevamos
el 68 % del presupuesto con el 75 % hecho.

Un abrazo,
Álvaro

--
Álvaro Sánchez Medina
Oficina de Madrid · Example Net
+34 910 00 42 18
"""
    g = dict(ip="40.107.21.71", helo="EUR05-AM6-obe.outbound.protection.outlook.com", rdns="mail-am6eur05on2071.outbound.protection.outlook.com",
             dkim=[("example.net", "selector1")], arc=("microsoft.com", "arcselector10001"), mailfrom="alvaro.sanchez@example.net",
             inner=[f"from PA4PR02MB7022.eurprd02.prod.outlook.com ([fe80::8a1:44c0:1f2e:9b7d]) by\n PA4PR02MB7022.eurprd02.prod.outlook.com ([fe80::8a1:44c0:1f2e:9b7d%5]) with mapi id\n 15.20.8769.017; {rfcdate(d)}"])
    add("p12-colega-estado-proyecto-es", "person", frm=addr("Álvaro Sánchez Medina", "alvaro.sanchez@example.net"), to=who("carmen"),
        subject="Estado del proyecto clínica Ríos – antes del jueves", date=d,
        msgid=f"<PA4PR02MB7022{alnum('p12', 20).upper()}@PA4PR02MB7022.eurprd02.prod.outlook.com>", body=alt(body, outlook_html(body), "p12", "outlook"),
        lang="es", headers=[("Thread-Topic", enc("Estado del proyecto clínica Ríos – antes del jueves")), ("Thread-Index", "AdtW" + b64s("p12ti", 18)),
                            ("Accept-Language", "es-ES, en-GB"), ("Content-Language", "es-ES")],
        after=[("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", "")], **g)


def p13_club_minutes():
    d = when(29, 21, 10, 11)
    docx = tiny_docx(["Highbury Fields Tennis Club – Annual General Meeting", "Minutes, 24 November 2026, clubhouse, 19:30",
                      "Present: 31 members. Apologies: 6.", "1. The minutes of the 2025 AGM were approved.",
                      "2. Treasurer's report: surplus of £2,140; subscriptions unchanged for 2027.",
                      "3. Court resurfacing (courts 3 and 4) approved for April 2027, quote £14,800.",
                      "4. Elections: Chair – Ruth Okonkwo; Treasurer – Alan Burke; Secretary – Mark Ellis.",
                      "5. AOB: floodlight booking system to move online from January."])
    body = """Dear members,

Thank you to everyone who came to the AGM on Tuesday - it was good to
see so many of you, and thank you for your patience while we sorted
out the projector.

The draft minutes are attached. If you spot anything that's wrong or
missing, please let me know by 6 December; otherwise they'll be
approved at the next committee meeting.

The main points, for those who couldn't make it:
- subscriptions stay the same in 2027
- courts 3 and 4 will be resurfaced in April
- Ruth Okonkwo takes over as Chair from Hugh, who we thanked (again)
  for eleven years in the job

Mark Ellis
Hon. Secretary, Highbury Fields Tennis Club
"""
    body_part = multi("mixed", [text(body, flowed=True, cte="7bit"),
                                attach("application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx, "AGM minutes 2026 (draft).docx")], "p13", "thunderbird")
    add("p13-club-agm-minutes-docx", "person", frm=addr("Mark Ellis", "secretary@highburyfieldstc.example"), to="undisclosed-recipients:;",
        rcpt="sam@example.net", subject="AGM minutes (draft) - Highbury Fields TC", date=d,
        msgid=f"<{hexs('p13', 8)}-{hexs('p13a', 4)}-{hexs('p13b', 4)}-{hexs('p13c', 4)}-{hexs('p13d', 12)}@highburyfieldstc.example>",
        body=body_part, mailfrom="secretary@highburyfieldstc.example", ip="203.0.113.209", helo="smtp.highburyfieldstc.example",
        dkim=[("highburyfieldstc.example", "default")], dmarc="p=NONE sp=NONE dis=NONE", from_dom="highburyfieldstc.example",
        headers=[("User-Agent", "Mozilla Thunderbird"), ("Content-Language", "en-GB")],
        inner=[f"from [192.168.1.64] (unknown [192.0.2.140])\n\t(Authenticated sender: secretary@highburyfieldstc.example)\n\tby smtp.highburyfieldstc.example (Postfix) with ESMTPSA id {alnum('p13q', 11)};\n\t{rfcdate(d)}"])


def p14_it_maintenance():
    d = when(23, 14, 0, 31)
    sender = "it@example.net"
    body = """Hi all,

This Saturday (28 November) between 08:00 and 13:00 we're moving the
file server and the VPN to new hardware.

During that window:
- the shared drives (S: and P:) will be unavailable
- the VPN will drop once or twice for a few minutes
- email, Teams and SharePoint are NOT affected

What you need to do: nothing, except save and close any files on the
shared drives before you leave on Friday. If you're on call this
weekend, Marcus has a list of what to check afterwards.

On Monday, if a mapped drive shows a red cross, restart your laptop
once. If it's still not there, raise a ticket at
https://helpdesk.example.net or call extension 4400.

Thanks for your patience,
Marcus and Ines
IT Support
"""
    tr = internal("p14", d, sender)
    add("p14-it-planned-maintenance", "person", frm=addr("IT Support", sender), to=addr("All staff", "staff@example.net"), rcpt="lucas.vandijk@example.net",
        subject="Planned maintenance Saturday 28 Nov, 08:00-13:00: shared drives and VPN", date=d,
        msgid=f"<AM9PR02MB6611{alnum('p14', 20).upper()}@AM9PR02MB6611.eurprd02.prod.outlook.com>", body=alt(body, outlook_html(body), "p14", "outlook"),
        headers=[("Thread-Topic", "Planned maintenance Saturday 28 Nov, 08:00-13:00: shared drives and VPN"), ("Thread-Index", "AdtZ" + b64s("p14ti", 18)),
                 ("Importance", "high"), ("X-Priority", "1"), ("Accept-Language", "en-GB, en-US"), ("Content-Language", "en-GB")],
        after=[("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", "")], **tr)


def p15_neighbour_nl():
    d = when(17, 18, 22, 50, 60)
    body = """Hoi Lucas,

Vanmiddag is er een pakket voor je bij ons afgegeven (van Coolblue,
vrij groot). Je kunt het vanavond na half acht ophalen, of morgen
tussen 12 en 14 uur, dan ben ik thuis aan het werk.

O ja, en de VvE-vergadering is verschoven naar dinsdag 1 december,
20:00 uur, weer bij Ans op nummer 14. Het gaat vooral over de
vervanging van de voordeur en de offerte voor de dakgoot.

Groetjes,
Femke (nr. 12)
"""
    add("p15-buurvrouw-pakket-nl", "person", frm=addr("Femke de Wit", "femkedewit@ziggo.nl"), to=who("lucas"),
        subject="Pakketje voor je + VvE verschoven", date=d, msgid=f"<{digits('p15', 10)}.{digits('p15a', 6)}.{digits('p15b', 13)}@webmail.ziggo.nl>",
        body=text(body, cte="7bit"), mailfrom="femkedewit@ziggo.nl", ip="212.54.42.169", helo="smtpq6.tb.ziggo.nl",
        dkim=[("ziggo.nl", "20221220")], dmarc="p=NONE sp=NONE dis=NONE", lang="nl",
        inner=[f"from webmail.ziggo.nl ([10.20.30.41])\n\tby smtp6.tb.ziggo.nl with ESMTP\n\tid {alnum('p15q', 14)}; {rfcdate(d)}"],
        after=[("X-Mailer", "Open-Xchange Mailer v7.10.6-Rev63"), ("Importance", "Normal"), ("X-Priority", "3")])


def p16_speaker_bio():
    d = when(5, 11, 47, 3, 60)
    g = gmail("p16", d)
    body = """Hi Giulia,

Thanks again for agreeing to speak at Design Systems Day in Bologna in
March - we're really happy to have you on the programme.

To get the schedule online by mid-December, could you send me:

  * a title and an abstract (up to 120 words)
  * a short bio in the third person (up to 60 words)
  * a headshot, at least 800 px wide

Don't worry about the title being final, we can change it until
February.

Also, do you need us to book your hotel? We have a block at the Hotel
Porta San Mamolo for the nights of 11 and 12 March.

Grazie mille!
Elena

--
Elena Rinaldi
Programme, Design Systems Day 2027
"""
    add("p16-conference-speaker-request", "person", frm=addr("Elena Rinaldi", "elena.rinaldi.dsd@gmail.com"), to=who("giulia"),
        subject="Design Systems Day 2027 - talk abstract and bio", date=d, msgid=gmid("p16"), body=alt(body, gmail_html(body), "p16", "gmail"),
        mailfrom="elena.rinaldi.dsd@gmail.com", from_dom="gmail.com", **g)


def main():
    for name, fn in sorted(globals().items()):
        if callable(fn) and name[:1] in "tnmp" and name[1:3].isdigit() and name[3] == "_":
            fn()
    for old in os.listdir(HERE):
        if old.endswith(".eml"):
            os.remove(os.path.join(HERE, old))
    for fname, _kind, data in MESSAGES:
        with open(os.path.join(HERE, fname), "wb") as f:
            f.write(data)
    print(f"{len(MESSAGES)} messages:", ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items())))


if __name__ == "__main__":
    main()
