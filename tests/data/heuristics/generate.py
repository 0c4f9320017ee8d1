"""Writes the heuristic-set1 fixtures: RULE.hit.eml fires RULE, RULE.miss.eml
(the same message without the tell) does not. Our own messages, public domain.
Run from this folder: python3 generate.py"""

BASE = {
    "From": "Alice Example <alice@example.org>",
    "To": "bob@example.net",
    "Subject": "Lunch on Friday?",
    "Date": "Tue, 01 Dec 2026 10:00:00 +0000",
    "Message-ID": "<20261201100000.1234@example.org>",
}
TEXT = "Shall we meet at noon at the usual place? I will bring the notes from Tuesday.\r\nAlice\r\n"


def message(headers=None, drop=(), body=TEXT, content_type="text/plain; charset=us-ascii", cte=None):
    fields = dict(BASE)
    fields.update(headers or {})
    for name in drop:
        fields.pop(name, None)
    fields["MIME-Version"] = "1.0"
    fields["Content-Type"] = content_type
    if cte:
        fields["Content-Transfer-Encoding"] = cte
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return (head + "\r\n" + body).encode("latin-1")


def html(inner):
    return f"<html><body>{inner}</body></html>\r\n"


LONG = "We have been working on the quarterly figures and the draft report is ready for review by the whole team this week. " * 4

OE = {"X-Mailer": "Microsoft Outlook Express 6.00.2600.0000"}
OE_REAL = {"X-Mailer": "Microsoft Outlook Express 6.00.2600.0000", "X-MimeOLE": "Produced By Microsoft MimeOLE V6.00.2600.0000",
           "Message-ID": "<000801c2336f$5d1b7e40$0200a8c0@home>"}
CASES = {
    "FORGED_OUTLOOK_TAGS": (message({**OE, "Message-ID": "<000801c2336f$5d1b7e40$0200a8c0@home>"}), message(OE_REAL)),
    "FORGED_OUTLOOK_MSGID": (message({**OE_REAL, "Message-ID": "<20261201.ABCDEF@mailer.example>"}), message(OE_REAL)),
    "BULK_MAILER": (message({"X-Mailer": "Advanced Mass Sender v 3.21b"}), message({"X-Mailer": "Mozilla 4.7 [en] (Win98; I)"})),
    "MISSING_MSGID": (message(drop=["Message-ID"]), message()),
    "FROM_DIGITS_LOCAL": (message({"From": "Offers <sales20931@example.biz>"}), message({"From": "Alice 2nd <alice2@example.org>"})),
    "OBFUSCATED_WORDS": (message(body="Buy V1AGRA and c1alis today, cheap.\r\n"), message(body="Our clinic prescribes Viagra only after a consultation.\r\n")),
    "SPACED_CAPS": (message(body="Get it F R E E now, no cost at all.\r\n"), message(body="Get it FREE now, see section A B of the terms.\r\n")),
    "HIDDEN_TEXT": (message(body=html('Buy now<div style="display: none">lunch notes meeting agenda</div>'), content_type="text/html"),
                    message(body=html('Buy now<div style="display: block">lunch notes</div>'), content_type="text/html")),
    "TINY_FONT_TAG": (message(body=html('Offer<font size="1">random words here</font>'), content_type="text/html"),
                      message(body=html('Offer<font size="3">the details</font>'), content_type="text/html")),
    "WHITE_TEXT": (message(body=html('Offer<font color="#ffffff">random words here</font>'), content_type="text/html"),
                   message(body=html('Offer<font color="#000080">the details</font>'), content_type="text/html")),
    "CHARSET_MISMATCH": (message(body="Caf\xe9 au lait for everyone.\r\n", content_type="text/plain; charset=utf-8"),
                         message(body="Caf\xe9 au lait for everyone.\r\n", content_type="text/plain; charset=iso-8859-1")),
    "SUBJ_CHARSET_FARAWAY": (message({"Subject": "=?gb2312?B?xOO6ww==?="}), message({"Subject": "=?iso-8859-1?Q?Caf=E9?="})),
    "BODY_CHARSET_FARAWAY": (message(body=html('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">hello'), content_type="text/html"),
                             message(body=html('<meta http-equiv="Content-Type" content="text/html; charset=utf-8">hello'), content_type="text/html")),
    "SUBJ_ALL_CAPS": (message({"Subject": "MAKE MONEY FAST FROM HOME"}), message({"Subject": "Make money fast? The NASA FAQ"})),
    "SUBJ_SHOUTING": (message({"Subject": "Act now!!!"}), message({"Subject": "Act now!"})),
    "IMAGE_ONLY": (message(body=html('<img src="http://203.0.113.9/offer.gif">'), content_type="text/html"),
                   message(body=html('<img src="http://example.org/logo.gif"><p>' + LONG + '</p>'), content_type="text/html")),
    "HTML_ONLY": (message(body=html("<p>hello</p>"), content_type="text/html; charset=us-ascii"), message()),
    "URI_NUMERIC_HOST": (message(body="See http://203.0.113.9/offer now.\r\n"), message(body="See http://www.example.org/offer now.\r\n")),
    "URI_USERINFO": (message(body="Log in at http://bank.example@evil.example/login now.\r\n"), message(body="Log in at https://bank.example/login now.\r\n")),
    "URI_ENCODED_HOST": (message(body="Visit http://%65%76%69%6c.example/ today.\r\n"), message(body="Visit http://evil.example/%7Euser today.\r\n")),
    "REMOVE_INSTRUCTIONS": (message(body="Great offer.\r\nClick here to be removed from our mailing list.\r\n"), message(body="Great minutes.\r\nPlease remove the old draft from the shared folder.\r\n")),
    "DEAR_FRIEND": (message(body="Dear Friend,\r\nI am a banker.\r\n"), message(body="Dear Bob,\r\nI am a banker.\r\n")),
}

for rule, (hit, miss) in CASES.items():
    open(f"{rule}.hit.eml", "wb").write(hit)
    open(f"{rule}.miss.eml", "wb").write(miss)
