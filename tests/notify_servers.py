"""Real local servers the notifiers talk to: an HTTP webhook and a plain SMTP server."""

from __future__ import annotations

import json
import os
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Webhook:
    """A real HTTP endpoint recording the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def connection(self) -> str:
        host = f"http://127.0.0.1:{self.server.server_port}/hooks/ccpipe"
        return json.dumps({"conn_type": "http", "host": host})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpServer:
    """A real (plain, local) SMTP server keeping each message it is given."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        messages = self.messages

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 ccpipe-test ESMTP")
                envelope: dict = {"rcpt": []}
                while line := self.rfile.readline().decode().rstrip("\r\n"):
                    verb, _, argument = line.partition(" ")
                    verb = verb.upper()
                    if verb == "MAIL":
                        envelope["from"] = argument
                    elif verb == "RCPT":
                        envelope["rcpt"].append(argument)
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = []
                        while (chunk := self.rfile.readline().decode()) not in (".\r\n", ""):
                            data.append(chunk)
                        messages.append({**envelope, "message": "".join(data)})
                        envelope = {"rcpt": []}
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    self.reply("250 ccpipe-test" if verb in ("EHLO", "HELO") else "250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def connection(self, to: str) -> str:
        extra = {"to": to, "from_email": "ccpipe@example.com", "disable_ssl": True}
        extra |= {"disable_tls": True, "retry_limit": 0}
        port = self.server.server_address[1]
        return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": extra})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook():
    hook = Webhook()
    previous = os.environ.get("AIRFLOW_CONN_CCPIPE_FCR_WEBHOOK")
    os.environ["AIRFLOW_CONN_CCPIPE_FCR_WEBHOOK"] = hook.connection
    yield hook
    hook.close()
    if previous is None:
        os.environ.pop("AIRFLOW_CONN_CCPIPE_FCR_WEBHOOK", None)
    else:
        os.environ["AIRFLOW_CONN_CCPIPE_FCR_WEBHOOK"] = previous


@pytest.fixture
def mailbox():
    server = SmtpServer()
    os.environ["AIRFLOW_CONN_CCPIPE_FCR_EMAIL"] = server.connection("ops@example.com")
    yield server
    os.environ.pop("AIRFLOW_CONN_CCPIPE_FCR_EMAIL", None)
    server.close()
