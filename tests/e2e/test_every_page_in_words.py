"""Every page of the demo, as each role meets it, reads in words: a crawl from the home page
through the links a person can follow finds no snake_case key, username, JSON fragment,
ISO timestamp or Python value in the visible text (codes an administrator needs are shown
second, marked as code, and are left out of the check)."""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import pytest

from riskctl.org.demo import DATA
from tests.e2e.conftest import submit_login
from tests.unit.test_evidence_words import problems

pytestmark = pytest.mark.browser

ROLES = {
    "staff": "czj.wangfang",
    "discipline_leader": "czj.zhoujie",
    "inspector": "jw.hexiaoping",
    "admin": "admin",
}
# Pages that are files, leave, or change something when opened; the big screen is a
# kiosk page of its own (tests/e2e/test_screen.py).
SKIP = re.compile(
    r"^/(?:logout|lang/|static/|api/|screen)|/export|\.csv|\.xlsx|/content$|/download|/print$"
)
PER_SHAPE = 2  # pages of one shape (/items/<id>) visited per role
MOST = 40  # pages per role (the menu's first: breadth first)

# The visible text, without what is shown as code (an administrator's codes, YAML source)
# and without form values the person typed or will type.
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('code, pre, script, style, textarea, template, [hidden], .code, '
                        + '.raw, details.raw, input, select').forEach((n) => n.remove());
  return body.innerText;
}"""


USERNAMES = {
    line.split(",", 1)[0] for line in (DATA / "people.csv").read_text("utf-8").splitlines()[1:]
}


def _problems(text: str) -> list[str]:
    """As the evidence check, but a username is one of the demo's (``api.md`` is a file)."""
    return [
        p for p in problems(text)
        if not p.startswith("a username") or p.split("'")[1] in USERNAMES
    ]  # fmt: skip


def _shape(path: str) -> str:
    return re.sub(r"/\d+", "/#", path)


def _crawl(page: Any, base: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(seen) < MOST:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        assert response is not None and response.status < 400, (
            f"{path}: {response and response.status}"
        )
        page.wait_for_load_state("load")
        text = page.evaluate(VISIBLE_TEXT)
        if bad := _problems(text):
            found[path] = sorted(set(bad))
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen or SKIP.search(parts.path):
                continue
            shape = _shape(parts.path)
            if shapes.get(shape, 0) >= PER_SHAPE:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            queue.append(target)
    return found


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_a_role_reaches_reads_in_words(page, live_server, role):
    page.shot_name = None
    submit_login(page, live_server, ROLES[role])
    page.wait_for_url(f"{live_server}/")
    found = _crawl(page, live_server)
    assert found == {}, "\n".join(f"{path}: {bad}" for path, bad in found.items())
