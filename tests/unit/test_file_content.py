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


@pytest.mark.parametrize(
    ("data", "name", "why"),
    [
        (files.exe(), "合同.pdf", "可执行"),
        (files.elf(), "notes.txt", "可执行"),
        (files.exe(), "setup.exe", "扩展名"),
        (files.html(), "报告.txt", "网页"),
        (files.svg(), "图.txt", "网页"),
        (files.html(), "报告.html", "扩展名"),
        (b"#!/bin/sh\nrm -rf /\n", "run.txt", "脚本"),
        (files.pdf(), "合同.docx", "与扩展名"),
        (files.docx(), "明细.xlsx", "与扩展名"),
        (files.png(), "照片.jpg", "与扩展名"),
        (files.zip_only(), "资料.docx", "压缩包"),
        (files.docm(), "宏.docx", "宏"),
        (b"", "空.pdf", "为空"),
        (b"\x00\x01\x02\x03binary", "data.txt", "无法识别"),
        (files.pdf(), "合同", "扩展名"),
        (b"plain words " * 10_000 + b"<script>x()</script>", "长.txt", "网页"),
        (b"plain words " * 10_000 + b"\x00\x01", "长.txt", "无法识别"),
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
        (files.mp4(), "片.mp4", "扩展名"),  # evidence on an item: no video
        (files.webm(), "片.pdf", "扩展名"),  # the allow-list is the attachments' own
    ],
)
def test_video_is_refused_where_the_use_does_not_allow_it(data, name, why):
    with pytest.raises(content.Refused) as refused:
        content.check(io.BytesIO(data), name)
    assert why in str(refused.value)


def test_video_named_as_something_else_is_refused():
    with pytest.raises(content.Refused) as refused:
        content.check(io.BytesIO(files.mp4()), "片.webm", content.VIDEO)
    assert "与扩展名" in str(refused.value)
