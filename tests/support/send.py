"""Sends messages with Python's smtplib and prints one JSON line per message:
{"code": ..., "reply": "..."} for the final reply (or the refusal).

usage: send.py HOST PORT SENDER RECIPIENTS(comma-separated) FILE [FILE...]
A FILE of "-" reads one message from standard input.
"""
import json
import smtplib
import sys


def main():
    host, port, sender, recipients = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split(",")
    files = sys.argv[5:]
    with smtplib.SMTP(host, port, timeout=60) as smtp:
        smtp.ehlo("client.example.org")
        for name in files:
            data = sys.stdin.buffer.read() if name == "-" else open(name, "rb").read()
            try:
                refused = smtp.sendmail(sender, recipients, data)
                code, reply = 250, "accepted"
                print(json.dumps({"code": code, "refused": {k: [v[0], v[1].decode()] for k, v in refused.items()}}), flush=True)
            except smtplib.SMTPRecipientsRefused as error:
                (code, text), = list(error.recipients.values())[:1]
                print(json.dumps({"code": code, "reply": text.decode(errors="replace")}), flush=True)
                smtp.rset()
            except smtplib.SMTPResponseException as error:
                print(json.dumps({"code": error.smtp_code, "reply": error.smtp_error.decode(errors="replace")}), flush=True)
                smtp.rset()


if __name__ == "__main__":
    main()
