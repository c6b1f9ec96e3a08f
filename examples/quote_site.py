"""Calling Relais from the quote site (Python 3.9+, `pip install standardwebhooks`).

Every request is signed the Standard Webhooks way. JSON records are signed with the
official library; PDFs are bytes, and the library signs text (it encodes the body as
UTF-8), so `sign_bytes` computes the same HMAC over the raw bytes.

Retries reuse the request's webhook-id: Relais answers a resend with the stored answer, so
a timeout never creates anything twice. This file is run by Relais' test suite
(tests/api/integration.rs) against a real server: `python3 quote_site.py demo URL SECRET`.
"""

import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

from standardwebhooks import Webhook


class ParentMissing(Exception):
    """Relais does not know the client, quote or invoice a record refers to (409):
    send that first, then call again."""


class Rejected(Exception):
    """Relais refused the request for good (401 signature, 422 invalid fields...)."""


class Relais:
    def __init__(self, base_url: str, secret: str, attempts: int = 6):
        self.base = base_url.rstrip("/") + "/api/v1/integration"
        self.secret = secret
        self.hook = Webhook(secret)
        self.attempts = attempts

    def sign_bytes(self, msg_id: str, timestamp: int, body: bytes) -> str:
        key = base64.b64decode(self.secret.removeprefix("whsec_"))
        signed = f"{msg_id}.{timestamp}.".encode() + body
        return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()

    def put(self, path: str, body, content_type: str = "application/json") -> dict:
        """PUT one record; returns Relais' answer, e.g. {"id": ..., "result": "created"}."""
        raw = json.dumps(body).encode() if content_type == "application/json" else body
        msg_id = f"msg_{uuid.uuid4().hex}"  # one id per record change, kept across retries
        delay = 1.0
        for attempt in range(self.attempts):
            # Signed again at each attempt: the timestamp must be within 5 minutes.
            now = datetime.now(tz=timezone.utc)  # an aware datetime: the library assumes UTC
            if content_type == "application/json":
                signature = self.hook.sign(msg_id, now, raw.decode())
            else:
                signature = self.sign_bytes(msg_id, int(now.timestamp()), raw)
            request = urllib.request.Request(
                self.base + path,
                data=raw,
                method="PUT",
                headers={
                    "content-type": content_type,
                    "webhook-id": msg_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": signature,
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return json.load(response)
            except urllib.error.HTTPError as e:
                problem = json.loads(e.read() or b"{}")
                code = problem.get("code", "")
                if e.code == 409 and code.startswith("unknown_"):
                    raise ParentMissing(problem.get("detail", code)) from None
                retry = e.code in (409, 429) or e.code >= 500  # in progress, rate limit, outage
                if not retry:
                    raise Rejected(f"{e.code} {code}: {problem.get('detail')} {problem.get('errors', '')}") from None
                wait = float(e.headers.get("retry-after") or delay)
            except (urllib.error.URLError, TimeoutError):
                wait = delay  # no answer: the same webhook-id makes the resend safe
            time.sleep(wait)
            delay = min(delay * 2, 30)
        raise RuntimeError(f"Relais did not accept {path} after {self.attempts} attempts")


def demo(base_url: str, secret: str) -> None:
    relais = Relais(base_url, secret)
    client = {"email": "camille@example.fr", "name": "Camille Martin", "locale": "fr", "version": 1}
    quote = {"client": "cli_81", "number": "D-2026-021", "status": "accepted",
             "total": 289000, "currency": "EUR", "version": 1}
    invoice = {"client": "cli_81", "quote": "quo_17", "number": "F-2026-044", "status": "issued",
               "total": 289000, "currency": "EUR", "due_date": "2027-04-30", "version": 1}
    payment = {"invoice": "inv_33", "amount": 90000, "currency": "EUR",
               "paid_at": "2026-11-21T09:30:00+01:00", "method": "virement", "version": 1}
    # Local time in its zone; an offset (…T10:00:00+01:00) would name the instant itself.
    appointment = {"client": "cli_81", "kind": "Cérémonie", "starts_at": "2027-10-31T10:00",
                   "ends_at": "2027-10-31T12:00", "time_zone": "Europe/Paris",
                   "place": "Mairie de Giverny", "version": 1}
    try:
        relais.put("/payments/pay_5", payment)
    except ParentMissing as missing:
        print("payment before its invoice:", missing)
    for path, record in [("/clients/cli_81", client), ("/quotes/quo_17", quote),
                         ("/invoices/inv_33", invoice), ("/payments/pay_5", payment),
                         ("/appointments/rdv_2", appointment)]:
        print(path, relais.put(path, record)["result"])
    # A PDF with the bytes every real PDF has after its header (binary marker).
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    answer = relais.put("/documents/doc_9?kind=invoice&owner=inv_33&version=1&filename=F-2026-044.pdf",
                        pdf, content_type="application/pdf")
    print("/documents/doc_9", answer["result"])


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "demo":
        sys.exit("usage: quote_site.py demo BASE_URL WHSEC_SECRET")
    demo(sys.argv[2], sys.argv[3])
