"""The type of an upload is judged by its content and must agree with its extension; the
name shown is cleaned of paths and control characters.  No database, no app."""

from __future__ import annotations

import io

import pytest

from riskctl.files import content
from tests import files


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (files.pdf(), "合同.pdf", content.PDF),
        (files.png(), "scan.PNG", content.PNG),
        (files.jpeg(), "发票.jpg", content.JPEG),
        (files.jpeg(), "发票.jpeg", content.JPEG),
        (files.docx(), "验收报告.docx", content.DOCX),
        (files.xlsx(), "明细.xlsx", content.XLSX),
        (files.ofd(), "电子发票.ofd", content.OFD),
        (files.text(), "会议纪要.txt", content.TEXT),
        ("会议纪要，国标编码".encode("gb18030"), "纪要.txt", content.TEXT),
    ],
)
def test_allowed_kinds_are_recognised_by_their_content(data, name, kind):
    assert content.check(io.BytesIO(data), name) is kind


# Outside an application the reasons read in English (the msgids); the API and the pages
# give them in the reader's language (tests/integration/test_attachments.py: Chinese).
@pytest.mark.parametrize(
    ("data", "name", "why"),
    [
        (files.exe(), "合同.pdf", "executable"),
        (files.elf(), "notes.txt", "executable"),
        (files.exe(), "setup.exe", "are not accepted; accepted: .docx"),
        (files.html(), "报告.txt", "markup"),
        (files.svg(), "图.txt", "markup"),
        (files.html(), "报告.html", "“.html” are not accepted"),
        (b"#!/bin/sh\nrm -rf /\n", "run.txt", "a script"),
        (files.pdf(), "合同.docx", "PDF, which does not match the extension “.docx”"),
        (files.docx(), "明细.xlsx", "does not match the extension"),
        (files.png(), "照片.jpg", "does not match the extension"),
        (files.zip_only(), "资料.docx", "an archive"),
        (files.docm(), "宏.docx", "macros"),
        (b"", "空.pdf", "empty"),
        (b"\x00\x01\x02\x03binary", "data.txt", "not recognised"),
        (files.pdf(), "合同", "“(no extension)” are not accepted"),
        (b"plain words " * 10_000 + b"<script>x()</script>", "长.txt", "markup"),
        (b"plain words " * 10_000 + b"\x00\x01", "长.txt", "not recognised"),
    ],
)
def test_refused_files_say_why(data, name, why):
    with pytest.raises(content.Refused) as refused:
        content.check(io.BytesIO(data), name)
    assert why in str(refused.value)


def test_detection_leaves_the_stream_where_it_was():
    stream = io.BytesIO(files.docx())
    content.detect(stream)
    assert stream.tell() == 0


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\王芳\\合同.pdf", "合同.pdf"),
        ("/tmp/a/b/采购文件.docx", "采购文件.docx"),
        ("...", "附件"),
        ("", "附件"),
        (".hidden.pdf", "hidden.pdf"),
        ("a\x00b\nc\u202etxt.exe", "a_b_c_txt.exe"),
        ('what<>:"|?*.pdf', "what_______.pdf"),
        ("e\u0301.pdf", "\u00e9.pdf"),  # NFC
    ],
)
def test_file_names_lose_their_paths_and_dangerous_characters(raw, clean):
    assert content.clean_filename(raw) == clean


def test_a_long_name_is_cut_with_its_extension_kept():
    name = content.clean_filename("合" * 500 + ".pdf")
    assert len(name) == content.MAX_NAME and name.endswith(".pdf")


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (files.mp4(), "警示教育片.mp4", content.MP4),
        (files.webm(), "讲座.webm", content.WEBM),
        (files.pdf(), "党纪法规.pdf", content.PDF),
    ],
)
def test_a_use_may_allow_video(data, name, kind):
    assert content.check(io.BytesIO(data), name, (content.PDF, *content.VIDEO)) is kind


@pytest.mark.parametrize(
    ("data", "name", "why"),
    [
        (files.mp4(), "片.mp4", "“.mp4” are not accepted"),  # evidence on an item: no video
        (files.webm(), "片.pdf", "does not match the extension"),  # the attachments' list
    ],
)
def test_video_is_refused_where_the_use_does_not_allow_it(data, name, why):
    with pytest.raises(content.Refused) as refused:
        content.check(io.BytesIO(data), name)
    assert why in str(refused.value)


def test_video_named_as_something_else_is_refused():
    with pytest.raises(content.Refused) as refused:
        content.check(io.BytesIO(files.mp4()), "片.webm", content.VIDEO)
    assert "MP4 video, which does not match the extension “.webm”" in str(refused.value)
