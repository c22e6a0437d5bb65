"""A receiver of meldpunt's report events for the tests: a separate process that checks
each POST's `Meldpunt-Signature` (HMAC-SHA256 over "<t>.<body>" with the endpoint's secret),
checks the order per report (an endpoint's deliveries of one report arrive with rising
`delivery_id`; the same one again is a harmless redelivery), and appends one JSON line per
event to a log file. While the `--down` file exists it answers 503 without recording.

python3 event_receiver.py --port 8123 --secret S --log events.jsonl --down down.flag
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
LAST = {}  # report id -> highest delivery_id seen (non-replay and replay apart)


def signature_ok(secret, header, body):
    """Whether one of the header's v1 signatures (several while a secret is rotated) is the
    HMAC of "<t>.<body>" with `secret`."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [value for key, value in parts if key == "t"]
    signatures = [value for key, value in parts if key == "v1"]
    if len(stamps) != 1 or not signatures:
        return False
    mac = hmac.new(secret.encode(), stamps[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(mac, signature) for signature in signatures)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--down", required=True)
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def answer(self, status):
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if os.path.exists(args.down):
                return self.answer(503)
            signed = signature_ok(args.secret, self.headers.get("Meldpunt-Signature", ""), body)
            event = json.loads(body)
            report = event["report"]["id"]
            with LOCK:
                key = (report, event["replay"])
                last = LAST.get(key, 0)
                in_order = event["delivery_id"] >= last
                LAST[key] = max(last, event["delivery_id"])
                line = {
                    "id": event["id"],
                    "type": event["type"],
                    "report": report,
                    "delivery_id": event["delivery_id"],
                    "replay": event["replay"],
                    "data": event["data"],
                    "signature_ok": signed,
                    "in_order": in_order,
                    "has_reporter": "reporter" in event["report"],
                    "reporter": event["report"].get("reporter"),
                    "status": event["report"]["status"],
                    "department": (event["report"].get("department") or {}).get("slug"),
                    "body": event,
                }
                with open(args.log, "a") as log:
                    log.write(json.dumps(line) + "\n")
            self.answer(204 if signed else 401)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("listening", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
