"""The people of bench/deploy.py: staff who sign in on the login page, read their tasks and
complete steps, and inspectors who read the monitor.  Run by bench/deploy.py (Locust
headless, against the local proxy); not meant to be run on its own, though
``locust -f bench/locustfile.py --host http://127.0.0.1:PORT`` works on a served demo.

Each simulated user is one of the demo's people (riskctl/org/demo/people.csv), taken in
turn, so several users share a person, as one person with a phone and a desktop would.
Two users completing the same task is a race the app answers 409 (``task_not_open`` or
``stale_revision``, optimistic locking): counted as an outcome of its own, not an error.
Failures are also written, with the moment they happened, to ``DEPLOY_FAILURES`` (a
JSON lines file), so that the bench can tell those at the killing of a web process from
the others.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = "demo-pass-2026"  # riskctl.org.demo.DEMO_PASSWORD (not imported: no app here)
PEOPLE = Path(__file__).resolve().parents[1] / "riskctl" / "org" / "demo" / "people.csv"
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def _people() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    with PEOPLE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    staff = [r for r in rows if "staff" in r["roles"].split(";") and r["username"] != "admin"]
    watchers = [r for r in rows if {"inspector", "discipline_leader"} & set(r["roles"].split(";"))]
    return staff, watchers


STAFF, WATCHERS = _people()
# Those who start items (经办人, 采购经办) and the others, each in turn; the file lists unit
# by unit, so both are shuffled (the same way every run) to mix units in a small run.
STARTERS = [r for r in STAFF if {"handler", "purchaser"} & set(r["posts"].split(";"))]
OTHERS = [r for r in STAFF if r not in STARTERS]
random.Random(23).shuffle(STARTERS)
random.Random(23).shuffle(OTHERS)
STARTER_SHARE = 4  # every fourth staff user starts items: work flows in as it is done
_starter_turn = itertools.cycle(STARTERS)
_other_turn = itertools.cycle(OTHERS)
_staff_count = itertools.count()
_watcher_turn = itertools.cycle(WATCHERS)
_failures = open(os.environ["DEPLOY_FAILURES"], "a") if os.environ.get("DEPLOY_FAILURES") else None  # noqa: SIM115


@events.request.add_listener
def _note_failure(request_type: str, name: str, exception: Any, **_: Any) -> None:
    if exception is not None and _failures is not None:
        _failures.write(json.dumps({"at": time.time(), "name": f"{request_type} {name}",
                                    "error": str(exception)[:300]}) + "\n")  # fmt: skip
        _failures.flush()


def _outcome(user: FastHttpUser, name: str) -> None:
    """An expected outcome worth counting apart (a lost race), shown as its own row."""
    events.request.fire(request_type="OUTCOME", name=name, response_time=0, response_length=0,
                        exception=None, context={})  # fmt: skip


class Person(FastHttpUser):
    abstract = True
    csrf = ""  # empty: not signed in (a sign-in failed): the next task signs in first
    who: dict[str, str]

    def signed_in(self) -> bool:
        """As a browser is sent back to the login page, a user whose sign-in failed (the
        web process died under it) signs in again instead of working without a session."""
        if not self.csrf:
            self.sign_in()
        return bool(self.csrf)

    def sign_in(self) -> None:
        page = self.client.get("/login", name="GET /login")
        found = CSRF.search(page.text or "")
        if not found:
            raise RuntimeError("no CSRF token on the login page")
        with self.client.post(
            "/login", name="POST /login", catch_response=True,
            data={"username": self.who["username"], "password": PASSWORD,
                  "csrf_token": found.group(1)},
        ) as answer:  # fmt: skip
            # Redirected to the home page, which carries the session's CSRF token.
            found = CSRF.search(answer.text or "")
            if answer.status_code != 200 or "/login" in (answer.url or "") or not found:
                answer.failure(f"sign-in of {self.who['username']}: {answer.status_code}")
                self.csrf = ""
                return
            self.csrf = found.group(1)

    def sign_out(self) -> None:
        self.client.post("/logout", name="POST /logout", data={"csrf_token": self.csrf})
        self.csrf = ""


class Staff(Person):
    """Reads their tasks (the page and the API), completes steps, starts items."""

    weight = 8
    wait_time = between(1, 5)

    def on_start(self) -> None:
        starter = next(_staff_count) % STARTER_SHARE == 0
        self.who = next(_starter_turn) if starter else next(_other_turn)
        self.posts = set(self.who["posts"].split(";"))
        self.sign_in()

    @task(15)
    def work_page(self) -> None:
        if not self.signed_in():
            return
        self.client.get("/work", name="GET /work")

    @task(15)
    def my_tasks(self) -> None:
        if not self.signed_in():
            return
        self.client.get("/api/v1/tasks?limit=50", name="GET /api/v1/tasks")

    @task(20)
    def complete_a_task(self) -> None:
        if not self.signed_in():
            return
        answer = self.client.get("/api/v1/tasks?limit=50", name="GET /api/v1/tasks")
        if answer.status_code != 200:
            return
        doable = [t for t in answer.json()["items"] if t["kind"] == "task" and not t["barred"]]
        if not doable:
            return
        chosen = random.choice(doable)
        body: dict[str, Any] = {"fields": {}}
        if chosen["decisions"]:
            body["decision"] = chosen["decisions"][0]["key"]
        with self.client.post(
            f"/api/v1/tasks/{chosen['id']}/complete", json=body, catch_response=True,
            name="POST /api/v1/tasks/[id]/complete", headers={"X-CSRFToken": self.csrf},
        ) as done:  # fmt: skip
            if done.status_code == 409:
                done.success()  # another user (or this person's other device) was first
                _outcome(self, "409 task already completed by another user")
            elif done.status_code != 200:
                done.failure(f"{done.status_code} {(done.text or '')[:200]}")

    @task(5)
    def start_an_item(self) -> None:
        if not self.signed_in():
            return
        if "purchaser" in self.posts and random.random() < 0.3:
            # Just under a threshold (the decentralised limit or the open-tender one):
            # the next scan raises a warning, which must reach the screens and the outbox.
            threshold = random.choice((1_000_000, 4_000_000))
            amount = threshold - random.randint(1, 40) * threshold // 1000
            body: dict[str, Any] = {
                "process": "procurement", "title": "压测采购",
                "fields": {"budget_project": f"压测项目{random.randint(1, 10**9)}",
                           "item_category": "货物", "method": "公开招标",
                           "amount": f"{amount}.00"},
            }  # fmt: skip
        elif "handler" in self.posts:
            body = {
                "process": "expense_reimbursement", "title": "压测报销",
                "fields": {"purpose": "差旅费", "budget_line": "2026-公用经费",
                           "amount": f"{random.randint(100, 5000)}.00"},
            }  # fmt: skip
        else:
            return
        with self.client.post(
            "/api/v1/items", json=body, catch_response=True, name="POST /api/v1/items",
            headers={"X-CSRFToken": self.csrf},
        ) as started:  # fmt: skip
            if started.status_code != 201:
                started.failure(f"{started.status_code} {(started.text or '')[:200]}")

    @task(1)  # about every three minutes: people sign out and in again, not constantly
    def sign_in_again(self) -> None:
        self.sign_out()
        self.sign_in()


class Inspector(Person):
    """Inspectors and discipline leaders reading the monitor."""

    weight = 2
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.who = next(_watcher_turn)
        self.sign_in()

    @task(3)
    def warnings(self) -> None:
        if not self.signed_in():
            return
        self.client.get("/monitor/warnings", name="GET /monitor/warnings")

    @task(1)
    def statistics(self) -> None:
        if not self.signed_in():
            return
        self.client.get("/monitor/statistics", name="GET /monitor/statistics")

    @task(1)
    def home(self) -> None:
        if not self.signed_in():
            return
        self.client.get("/", name="GET /")
