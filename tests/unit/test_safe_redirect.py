"""The one helper that decides whether a redirect target taken from a request stays on
this site (riskctl.web.local_path)."""

import pytest

from riskctl.web import local_path

HOSTILE = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "//evil.example",
    "//evil.example/path",
    "///evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "https://evil.example",
    "HTTPS://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    " javascript:alert(1)",
    "/\r\nSet-Cookie: stolen=1",
    "/warnings\r\nLocation: https://evil.example",
    "/\x00/evil.example",
    "/\x7f",
    "evil.example",
    "",
    # percent-encoded variants: refused when their decoded form would be
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%09/evil.example",
    "/%0D%0ASet-Cookie:%20stolen=1",
    "/%00",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_target_falls_back_to_the_default(target):
    assert local_path(target, "/home") == "/home"


@pytest.mark.parametrize(
    "target",
    [
        "/",
        "/monitor/warnings?period=today&level=red",
        "/monitor/warnings/12",
        "/work/warnings?offset=30",
        "/admin/people?q=%E7%8E%8B%E8%8A%B3",  # 王芳, percent-encoded
        "/items/7#timeline",
    ],
)
def test_a_path_on_this_site_is_kept(target):
    assert local_path(target, "/home") == target


def test_nothing_given_is_the_default():
    assert local_path(None, "/home") == "/home"
