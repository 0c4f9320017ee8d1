"""An SMTP submission client for the integration tests (Python smtplib).

Connects (plain, STARTTLS or implicit TLS), authenticates with PLAIN or LOGIN,
sends one message, and prints one JSON object with the reply of every step:
{"ehlo_auth": "...", "auth": [code, text], "mail": [...], "rcpt": [[...]], "data": [...]}.
A step that was not reached is missing. Certificates are not verified (the
gateway's is self-signed in the tests).

usage: submit.py HOST PORT plain|starttls|ssl SOURCE_IP USER PASSWORD PLAIN|LOGIN|none FROM TO[,TO...] FILE
"""
import json
import smtplib
import ssl
import sys


def main():
    host, port, mode, source, user, password, mechanism, sender, recipients, path = sys.argv[1:11]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    source_address = (source, 0)
    result = {}
    if mode == "ssl":
        client = smtplib.SMTP_SSL(host, int(port), context=context, source_address=source_address, timeout=30)
    else:
        client = smtplib.SMTP(host, int(port), source_address=source_address, timeout=30)
    try:
        client.ehlo("client.example.org")
        if mode == "starttls":
            client.starttls(context=context)
            client.ehlo("client.example.org")
        result["ehlo_auth"] = client.esmtp_features.get("auth", "")
        if mechanism != "none":
            client.user, client.password = user, password
            try:
                if mechanism == "PLAIN":
                    code, text = client.auth("PLAIN", client.auth_plain)
                else:
                    code, text = client.auth("LOGIN", client.auth_login, initial_response_ok=False)
            except smtplib.SMTPResponseException as error:
                code, text = error.smtp_code, error.smtp_error
            except smtplib.SMTPException as error:
                code, text = 0, str(error).encode()
            result["auth"] = [code, text.decode(errors="replace")]
            if code != 235:
                print(json.dumps(result))
                return
        code, text = client.mail(sender)
        result["mail"] = [code, text.decode(errors="replace")]
        if code != 250:
            print(json.dumps(result))
            return
        result["rcpt"] = []
        for recipient in recipients.split(","):
            code, text = client.rcpt(recipient)
            result["rcpt"].append([code, text.decode(errors="replace")])
        with open(path, "rb") as f:
            message = f.read()
        try:
            code, text = client.data(message)
        except smtplib.SMTPResponseException as error:
            code, text = error.smtp_code, error.smtp_error
        result["data"] = [code, text.decode(errors="replace")]
        client.quit()
    except smtplib.SMTPServerDisconnected as error:
        result["disconnected"] = str(error)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
