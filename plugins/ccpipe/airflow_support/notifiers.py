"""Airflow notifiers of ccpipe: FCR target breaches, and task failures with their date.

Both always log a clear line, and also send it when an Airflow connection for it exists:
- `ccpipe_fcr_webhook` (type http): a JSON POST `{"text": ..., "ccpipe": {...}}` to the
  connection's URL (host holding the whole URL, or schema + host + port), the shape Slack,
  Mattermost and Teams incoming webhooks take;
- `ccpipe_fcr_email` (type smtp, Airflow's SMTP provider): an e-mail to the addresses in the
  connection's extra `"to"`.
"""

from __future__ import annotations

import html
import json
import urllib.request
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseHook, BaseNotifier
from airflow.sdk.exceptions import AirflowNotFoundException

from ccpipe.monitor import FcrCheck, report

WEBHOOK_CONN_ID = "ccpipe_fcr_webhook"
EMAIL_CONN_ID = "ccpipe_fcr_email"


def find_connection(conn_id: str | None) -> Any | None:
    """The Airflow connection, or None when it is not configured (then only the log line)."""
    if not conn_id:
        return None
    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


def webhook_url(conn: Any) -> str:
    host = (conn.host or "").strip()
    if "://" in host:
        return host
    port = f":{conn.port}" if conn.port else ""
    return f"{conn.schema or 'https'}://{host}{port}"


def post_webhook(conn: Any, text: str, payload: dict) -> None:
    """POST {"text", "ccpipe"} as JSON; a non-2xx answer raises (the task retries it)."""
    body = json.dumps({"text": text, "ccpipe": payload}, default=str).encode()
    request = urllib.request.Request(
        webhook_url(conn),
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    timeout = float(conn.extra_dejson.get("timeout", 10))
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        if not 200 <= answer.status < 300:
            raise OSError(f"webhook {conn.conn_id} answered HTTP {answer.status}")


def send_email(conn_id: str, to: str | Sequence[str], subject: str, text: str) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    body = "<pre>" + html.escape(text, quote=False) + "</pre>"
    with SmtpHook(smtp_conn_id=conn_id) as smtp:
        smtp.send_email_smtp(to=to, subject=subject, html_content=body)


def deliver(text: str, subject: str, payload: dict, webhook_conn_id: str, email_conn_id: str):
    """Send one message through every configured channel; return the channels used."""
    sent = []
    if (conn := find_connection(webhook_conn_id)) is not None:
        post_webhook(conn, text, payload)
        sent.append(webhook_conn_id)
    if (conn := find_connection(email_conn_id)) is not None:
        to = conn.extra_dejson.get("to")
        if not to:
            raise ValueError(f'connection {email_conn_id}: extra needs "to": the recipients')
        send_email(email_conn_id, to, subject, text)
        sent.append(email_conn_id)
    return sent


class ConnectedNotifier(BaseNotifier):
    """A notifier that logs, then sends through the webhook and e-mail connections if set."""

    template_fields = ("webhook_conn_id", "email_conn_id")

    def __init__(self, webhook_conn_id: str = WEBHOOK_CONN_ID, email_conn_id: str = EMAIL_CONN_ID):
        super().__init__()
        self.webhook_conn_id = webhook_conn_id
        self.email_conn_id = email_conn_id

    def send(self, text: str, subject: str, payload: dict) -> list[str]:
        return deliver(text, subject, payload, self.webhook_conn_id, self.email_conn_id)


class FcrBreachNotifier(ConnectedNotifier):
    """Notify the significant FCR target breaches of one load (only those; always logged)."""

    def __init__(self, check: FcrCheck, **conn_ids: str):
        super().__init__(**conn_ids)
        self.check = check

    def notify(self, context: Any) -> None:
        lines = report(self.check)
        if not lines:
            return
        text = "\n".join([self.check.summary(), *lines])
        sent = self.send(text, f"[ccpipe] {self.check.summary()}", self.check.to_dict())
        self.log.info("FCR breach notification sent via: %s", ", ".join(sent) or "log only")


def describe_failure(context: Any) -> str:
    """One line: which DAG, which logical date's load, which task and try, and why."""
    ti = context.get("ti") or context.get("task_instance")
    interval_start = context.get("data_interval_start")
    load_date = interval_start.date().isoformat() if interval_start else "?"
    error = context.get("exception")
    first_line = (str(error).strip().splitlines() or [""])[0] if error else ""
    reason = f"{type(error).__name__}: {first_line}" if error else "no exception recorded"
    return (
        f"ccpipe task failed: dag={getattr(ti, 'dag_id', '?')} date={load_date} "
        f"task={getattr(ti, 'task_id', '?')} try={getattr(ti, 'try_number', '?')} reason={reason}"
    )


class TaskFailureNotifier(ConnectedNotifier):
    """on_failure_callback: report the date, task and reason (log, plus webhook/e-mail)."""

    def notify(self, context: Any) -> None:
        line = describe_failure(context)
        self.log.error(line)
        self.send(line, f"[ccpipe] {line[:150]}", {"failure": line})
