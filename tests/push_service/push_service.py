#!/usr/bin/env python3
"""A Web Push service for tests: it checks and decrypts what an application server sends.

It plays both the push service (RFC 8030) and the browsers subscribed to it. For every
subscriber it makes, it holds the P-256 private key and the auth secret, like a browser.
A push message (POST /push/<id>) is accepted (201) only when

* the VAPID token (RFC 8292, `Authorization: vapid t=<jwt>, k=<key>`) is an ES256 JWT whose
  signature verifies against k, whose aud is this service's origin, whose exp lies in the
  future and at most 24 hours ahead, and whose sub is a mailto: or https: contact;
  with a subscriber made for one application server key (`?key=`), k must be that key;
* `TTL` is a non-negative whole number and `Content-Encoding` is `aes128gcm`;
* the body decrypts (RFC 8291 / RFC 8188) with the subscriber's keys.

Every request is recorded (accepted or refused, with the reason) and can be read back.

Control API (JSON):
  GET|POST /subscribers/new[?key=<applicationServerKey>]
        -> {"id", "endpoint", "p256dh", "auth"}
  GET  /subscribers/<id>/messages   -> [{"payload_b64", "text", "ttl", "urgency",
                                         "aud", "sub", "exp", "k"}, ...] (accepted only)
  GET  /subscribers/<id>/attempts   -> every request to that endpoint: {"status", "reason", ...}
  GET|POST /subscribers/<id>/gone   -> from now on the endpoint answers 410
  GET|POST /subscribers/<id>/answer/<status> -> the endpoint answers <status> (0: normal again)
  GET  /refused                     -> every refused request of any subscriber
  GET  /healthz                     -> "ok"

Usage: push_service.py [--port N] [--parent-pid PID]
Prints "listening on <port>" on stdout once ready, then nothing more. With --parent-pid it
exits as soon as that process is gone (a watchdog for test processes).
Needs `http_ece` and `cryptography` (python3 -m pip install http_ece cryptography).
"""

import argparse
import base64
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url_decode(text):
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Refused(Exception):
    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Subscriber:
    def __init__(self, server_key):
        self.id = secrets.token_hex(12)
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.public_key = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.auth = secrets.token_bytes(16)
        self.server_key = server_key
        self.answer = 0
        self.messages = []
        self.attempts = []


STATE_LOCK = threading.Lock()
SUBSCRIBERS = {}
REFUSED = []


def verify_vapid(authorization, origin):
    """Checks an RFC 8292 `vapid` Authorization header; returns the claims and k."""
    if not authorization.lower().startswith("vapid "):
        raise Refused(401, "Authorization is not the vapid scheme")
    params = {}
    for part in authorization[len("vapid ") :].split(","):
        name, _, value = part.strip().partition("=")
        params[name.strip().lower()] = value.strip()
    token, k = params.get("t"), params.get("k")
    if not token or not k:
        raise Refused(401, "vapid needs t= and k=")
    try:
        key_bytes = b64url_decode(k)
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key_bytes)
    except Exception:
        raise Refused(401, "k is not a P-256 public key")
    if len(key_bytes) != 65:
        raise Refused(401, "k is not an uncompressed point")
    parts = token.split(".")
    if len(parts) != 3:
        raise Refused(401, "t is not a JWT")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except Exception:
        raise Refused(401, "t is not a readable JWT")
    if header.get("alg") != "ES256":
        raise Refused(401, "JWT alg is not ES256")
    if len(signature) != 64:
        raise Refused(401, "the ES256 signature is not 64 bytes")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, (parts[0] + "." + parts[1]).encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refused(403, "the VAPID signature does not verify against k")
    if claims.get("aud") != origin:
        raise Refused(403, "aud is %r, not this push service's origin %r" % (claims.get("aud"), origin))
    exp = claims.get("exp")
    now = time.time()
    if not isinstance(exp, int) or exp <= now:
        raise Refused(403, "exp is missing or past")
    if exp > now + 24 * 3600:
        raise Refused(403, "exp is more than 24 hours ahead")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not (sub.startswith("mailto:") or sub.startswith("https:")):
        raise Refused(403, "sub is not a mailto: or https: contact")
    return claims, k


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "test-push-service"

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests read the records
        pass

    def origin(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def reply(self, status, body=None, headers=()):
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        self.control()

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        if path.startswith("/push/"):
            self.push(path[len("/push/") :])
        else:
            self.read_body()
            self.control()

    def control(self):
        path, _, query = self.path.partition("?")
        parts = [p for p in path.split("/") if p]
        params = dict(p.partition("=")[::2] for p in query.split("&") if p)
        with STATE_LOCK:
            if parts == ["healthz"]:
                return self.reply(200, "ok")
            if parts == ["refused"]:
                return self.reply(200, REFUSED)
            if parts == ["subscribers", "new"]:
                subscriber = Subscriber(params.get("key") or None)
                SUBSCRIBERS[subscriber.id] = subscriber
                return self.reply(
                    200,
                    {
                        "id": subscriber.id,
                        "endpoint": "%s/push/%s" % (self.origin(), subscriber.id),
                        "p256dh": b64url(subscriber.public_key),
                        "auth": b64url(subscriber.auth),
                    },
                )
            if len(parts) >= 3 and parts[0] == "subscribers" and parts[1] in SUBSCRIBERS:
                subscriber = SUBSCRIBERS[parts[1]]
                if parts[2:] == ["messages"]:
                    return self.reply(200, subscriber.messages)
                if parts[2:] == ["attempts"]:
                    return self.reply(200, subscriber.attempts)
                if parts[2:] == ["gone"]:
                    subscriber.answer = 410
                    return self.reply(200, {"answer": 410})
                if len(parts) == 4 and parts[2] == "answer" and parts[3].isdigit():
                    subscriber.answer = int(parts[3])
                    return self.reply(200, {"answer": subscriber.answer})
        self.reply(404, {"error": "no such control path"})

    def push(self, subscriber_id):
        body = self.read_body()
        with STATE_LOCK:
            subscriber = SUBSCRIBERS.get(subscriber_id)
        if subscriber is None:
            return self.reply(404, {"error": "no such subscription"})
        record = {
            "ttl": self.headers.get("TTL"),
            "urgency": self.headers.get("Urgency"),
            "content_encoding": self.headers.get("Content-Encoding"),
        }
        try:
            if subscriber.answer:
                raise Refused(subscriber.answer, "the endpoint was told to answer %d" % subscriber.answer)
            claims, k = verify_vapid(self.headers.get("Authorization") or "", self.origin())
            record.update({"aud": claims.get("aud"), "sub": claims.get("sub"), "exp": claims.get("exp"), "k": k})
            if subscriber.server_key and k != subscriber.server_key:
                raise Refused(403, "k is not the applicationServerKey this subscription was made for")
            ttl = record["ttl"]
            if ttl is None or not ttl.isdigit():
                raise Refused(400, "TTL must be a non-negative whole number")
            if (record["content_encoding"] or "").lower() != "aes128gcm":
                raise Refused(415, "Content-Encoding must be aes128gcm")
            if len(body) > 4096:
                raise Refused(413, "the body is larger than 4096 bytes")
            try:
                payload = http_ece.decrypt(
                    body, private_key=subscriber.private_key, auth_secret=subscriber.auth, version="aes128gcm"
                )
            except Exception as error:
                raise Refused(400, "the body does not decrypt: %s" % error)
        except Refused as refused:
            record.update({"status": refused.status, "reason": refused.reason, "subscriber": subscriber_id})
            with STATE_LOCK:
                subscriber.attempts.append(record)
                REFUSED.append(record)
            return self.reply(refused.status, {"reason": refused.reason})
        record.update(
            {
                "status": 201,
                "reason": "accepted",
                "payload_b64": base64.b64encode(payload).decode("ascii"),
                "text": payload.decode("utf-8", errors="replace"),
            }
        )
        message_id = secrets.token_hex(8)
        with STATE_LOCK:
            subscriber.attempts.append(record)
            subscriber.messages.append(record)
        self.reply(201, None, [("Location", "%s/messages/%s" % (self.origin(), message_id))])


def watchdog(parent_pid, server):
    while True:
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            pass
        time.sleep(0.5)
    server.shutdown()
    os._exit(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.parent_pid:
        threading.Thread(target=watchdog, args=(args.parent_pid, server), daemon=True).start()
    print("listening on %d" % server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
