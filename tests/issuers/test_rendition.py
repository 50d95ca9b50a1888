"""issuers/rendition.py: the printable PDF of a certificate, judged by poppler, zbar, pypdf and the real sealing
code, tools that are not the renderer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import reportlab
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from issuers.holders import HolderKind, mask
from issuers.pdfseal import Placement, stamp_pdf
from issuers.rendition import FONT_PACKAGE, SUBTITLE, FontUnavailable, Rendition, render
from issuers.sealimage import draw_seal
from issuers.signing import SoftwareSigner, generate_private_key
from issuers.x509ca import issue_seal_certificate, make_root
from tests import assets
from tests.factories import system_tool
from tests.registry.test_qr import zbar
from tests.registry.test_stamps import pdfsig

PDFFONTS, PDFTOTEXT = system_tool("pdffonts", "poppler-utils"), system_tool("pdftotext", "poppler-utils")
PDFTOPPM = system_tool("pdftoppm", "poppler-utils")
DPI = 150

HOLDER_ID = "91310000MA1FL7XJ50"
DEPARTMENT_CODE = "11310000002418230T"
ADDRESS = "上海市浦东新区张江高科技园区碧波路 690 号 3 幢 1201 室"
BUSINESS_SCOPE = (  # 300 characters and more, as business scopes are
    "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；信息系统集成服务；"
    "人工智能应用软件开发；数据处理和存储支持服务；计算机系统服务；网络技术服务；信息技术咨询服务；"
    "会议及展览服务；企业管理咨询；市场营销策划；广告设计、代理；广告制作；广告发布；电子产品销售；"
    "计算机软硬件及辅助设备零售；办公用品销售；日用品销售；第一类医疗器械销售；第二类医疗器械销售；货物进出口；技术进出口。（除依法须经批准的项目外，"
    "凭营业执照依法自主开展经营活动）许可项目：第二类增值电信业务；互联网信息服务。（依法须经批准的项目，"
    "经相关部门批准后方可开展经营活动，具体经营项目以相关部门批准文件或许可证件为准）"
)
LICENCE = Rendition(
    identifier=f"1.2.156.3005.2.{DEPARTMENT_CODE}001.{DEPARTMENT_CODE}.1.001.X",
    type_code=f"{DEPARTMENT_CODE}001",
    type_name="营业执照",
    serial="310115000000001",
    version=1,
    department_name="上海市市场监督管理局",
    department_code=DEPARTMENT_CODE,
    authority_code="11100000000013127D",
    holder_kind=HolderKind.ORGANIZATION,
    holder_name="上海示例科技有限公司",
    holder_id_masked=mask(HolderKind.ORGANIZATION, HOLDER_ID),
    valid_from=dt.date(2020, 5, 1),
    valid_until=None,
    issued_at=dt.datetime(2026, 11, 30, 8, 0),
    status="valid",
    fields=[
        ("名称", "Name", "上海示例科技有限公司"),
        ("住所", "Address", ADDRESS),
        ("法定代表人", "Legal representative", "张三"),
        ("注册资本", "Registered capital", "人民币壹仟万元整 (RMB 10,000,000)"),
        ("经营范围", "Business scope", BUSINESS_SCOPE),
    ],
    qr_payload=f"{assets.ISSUER}/v/{assets.text('compact.jwt')}",
)
CORE_LABELS = [
    ("证照标识", "Identifier"),
    ("持证主体", "Holder"),
    ("证件号码", "ID number"),
    ("发证机关", "Issuing authority"),
    ("有效期", "Validity"),
    ("状态", "Status"),
]


def many_fields(count: int = 30) -> Rendition:
    rows = [(f"许可事项{n}", f"Licensed activity {n}", f"第 {n} 项：{ADDRESS}") for n in range(1, count + 1)]
    return dataclasses.replace(LICENCE, fields=[*LICENCE.fields, *rows])


def saved(pdf: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "rendition.pdf"
    path.write_bytes(pdf)
    return path


def run(tool: str, *args: str | Path) -> str:
    done = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages_text(path: Path) -> str:
    """The text of every page, each without its title, subtitle and footer (which it must have), run together."""
    pages = len(PdfReader(path).pages)
    body = ""
    for page in range(1, pages + 1):
        text = squeezed(run(PDFTOTEXT, "-f", str(page), "-l", str(page), path, "-"))
        header = squeezed(LICENCE.type_name + SUBTITLE)
        footer = squeezed(f"{LICENCE.identifier} 第 {page} 页，共 {pages} 页 / Page {page} of {pages}")
        assert text.startswith(header) and text.endswith(footer), text
        body += text[len(header) : -len(footer)]
    return body


def seal_box_pixels(path: Path, box: Placement) -> Image.Image:
    """The seal box's part of its page, rendered by pdftoppm (PDF measures from the bottom, images from the top)."""
    page, scale = str(box.page), DPI / 72
    run(PDFTOPPM, "-r", str(DPI), "-png", "-f", page, "-l", page, "-singlefile", path, path.with_suffix(""))
    image = Image.open(path.with_suffix(".png")).convert("RGB")
    top = image.height - (box.y + box.height) * scale
    right, bottom = (box.x + box.width) * scale, top + box.height * scale
    return image.crop((round(box.x * scale), round(top), round(right), round(bottom)))


def test_every_font_is_embedded(tmp_path: Path) -> None:
    rows = run(PDFFONTS, saved(render(LICENCE).pdf, tmp_path)).splitlines()[2:]
    assert rows, "the PDF uses no font"
    # The columns end with emb, sub, uni, object and generation; a type may have two words.
    assert [row.split()[-5] for row in rows] == ["yes"] * len(rows), rows


def test_pdftotext_reads_every_label_and_every_value_whole(tmp_path: Path) -> None:
    text = squeezed(run(PDFTOTEXT, saved(render(LICENCE).pdf, tmp_path), "-"))
    for chinese, english in CORE_LABELS:
        assert squeezed(chinese) in text and squeezed(english) in text
    for label_zh, label_en, value in LICENCE.fields:
        # The business scope spans many lines: wrapping may add line breaks, never drop or cut a character.
        assert squeezed(label_zh) in text and squeezed(label_en) in text and squeezed(value) in text
    for value in (LICENCE.identifier, LICENCE.holder_name, LICENCE.department_name, "2020-05-01", "长期"):
        assert squeezed(value) in text


def test_a_licence_with_a_long_business_scope_fits_on_one_page(tmp_path: Path) -> None:
    assert len(BUSINESS_SCOPE) >= 300
    assert len(PdfReader(saved(render(LICENCE).pdf, tmp_path)).pages) == 1


def test_the_qr_code_reads_back_as_the_payload(tmp_path: Path) -> None:
    path = saved(render(LICENCE).pdf, tmp_path)
    run(PDFTOPPM, "-r", str(DPI), "-png", "-singlefile", path, tmp_path / "page")
    assert zbar((tmp_path / "page.png").read_bytes(), tmp_path) == LICENCE.qr_payload


def test_only_the_masked_id_number_is_printed(tmp_path: Path) -> None:
    text = run(PDFTOTEXT, saved(render(LICENCE).pdf, tmp_path), "-")
    assert LICENCE.holder_id_masked in text and "*" in LICENCE.holder_id_masked
    assert HOLDER_ID not in text


def test_a_full_id_number_is_refused() -> None:
    with pytest.raises(ValueError, match="not masked"):
        dataclasses.replace(LICENCE, holder_id_masked=HOLDER_ID)


@pytest.mark.parametrize("rendition", [LICENCE, many_fields()], ids=["one page", "many pages"])
def test_the_seal_box_is_on_the_last_page_and_blank(rendition: Rendition, tmp_path: Path) -> None:
    rendered = render(rendition)
    box = rendered.seal_box
    path = saved(rendered.pdf, tmp_path)
    assert box.page == len(PdfReader(path).pages)
    layout = run(PDFTOTEXT, "-bbox", "-f", str(box.page), "-l", str(box.page), path, "-")
    size = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', layout)
    assert size is not None
    width, height = float(size[1]), float(size[2])
    assert box.x >= 0 and box.x + box.width <= width and box.y >= 0 and box.y + box.height <= height
    # pdftotext measures from the top of the page, PDF from the bottom.
    top, bottom = height - box.y - box.height, height - box.y
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', layout)
    assert words
    for x0, y0, x1, y1, word in words:
        overlaps = float(x0) < box.x + box.width and float(x1) > box.x and float(y0) < bottom and float(y1) > top
        assert not overlaps, f"{word!r} is in the seal box"
    # Nothing else is drawn there either: no rule, no picture, not a grey pixel.
    assert seal_box_pixels(path, box).convert("L").getextrema() == (255, 255)


def every_object(reader: PdfReader) -> list[Any]:
    """Every object of the file: each numbered one (reachable or not), and everything nested in them."""
    found: list[Any] = []
    stack: list[Any] = [reader.trailer, *(reader.get_object(n) for n in range(1, int(reader.trailer["/Size"])))]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        found.append(item)
        if isinstance(item, DictionaryObject):
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return found


def test_pypdf_finds_no_encryption_script_action_or_attachment(tmp_path: Path) -> None:
    reader = PdfReader(saved(render(LICENCE).pdf, tmp_path))
    assert not reader.is_encrypted
    keys = {key for item in every_object(reader) if isinstance(item, DictionaryObject) for key in item}
    assert keys and not keys & {"/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/Encrypt", "/OpenAction"}


def test_the_document_says_what_it_is_and_in_which_language(tmp_path: Path) -> None:
    reader = PdfReader(saved(render(LICENCE).pdf, tmp_path))
    assert reader.metadata is not None
    assert reader.metadata.title == f"{LICENCE.type_name} {LICENCE.identifier}"
    assert reader.metadata.author == LICENCE.department_name
    assert LICENCE.identifier in (reader.metadata.subject or "")
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"


def test_the_same_rendition_gives_the_same_bytes() -> None:
    assert render(LICENCE).pdf == render(dataclasses.replace(LICENCE)).pdf


def test_many_fields_run_onto_numbered_pages_with_nothing_lost(tmp_path: Path) -> None:
    rendition = many_fields()
    path = saved(render(rendition).pdf, tmp_path)
    assert len(PdfReader(path).pages) >= 2
    text = pages_text(path)
    for label_zh, label_en, value in rendition.fields:
        assert squeezed(label_zh) in text and squeezed(label_en) in text and squeezed(value) in text


def test_a_value_longer_than_a_page_runs_on_to_the_next(tmp_path: Path) -> None:
    endless = BUSINESS_SCOPE * 12  # about 3,700 characters: more lines than a page holds
    rendition = dataclasses.replace(LICENCE, fields=[("经营范围", "Business scope", endless)])
    path = saved(render(rendition).pdf, tmp_path)
    assert len(PdfReader(path).pages) >= 3
    assert squeezed(endless) in pages_text(path)


def test_a_missing_font_names_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(FontUnavailable, match=f"apt-get install {FONT_PACKAGE}") as raised:
        render(LICENCE, font=tmp_path / "wqy-microhei.ttc")
    assert raised.value.path == tmp_path / "wqy-microhei.ttc"


def test_a_font_that_is_not_a_font_is_refused(tmp_path: Path) -> None:
    (tmp_path / "broken.ttf").write_bytes(b"not a font")
    with pytest.raises(FontUnavailable, match="cannot be read"):
        render(LICENCE, font=tmp_path / "broken.ttf")


def test_a_font_without_chinese_glyphs_is_refused() -> None:
    latin_only = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    with pytest.raises(FontUnavailable, match="has no glyph for"):
        render(LICENCE, font=latin_only)


def test_a_real_seal_stamps_the_box_the_rendition_left(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    ca_key, seal = generate_private_key(), SoftwareSigner(generate_private_key())
    root = make_root(ca_key, now - dt.timedelta(days=1), now + dt.timedelta(days=3650))
    certificate = issue_seal_certificate(
        ca_key, root, seal.private_key.public_key(), department_name=LICENCE.department_name,
        credit_code=DEPARTMENT_CODE, seal_name="电子证照专用章", not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=365),
    )  # fmt: skip
    rendered = render(many_fields())
    stamped = stamp_pdf(
        rendered.pdf, seal, certificate, [certificate, root], picture=draw_seal(DEPARTMENT_CODE),
        url=f"{assets.ISSUER}/s/0123456789abcdef", reference="0123456789abcdef", department=DEPARTMENT_CODE,
        placement=rendered.seal_box, seal_name="电子证照专用章",
    )  # fmt: skip
    report = pdfsig(stamped, tmp_path)
    assert "Signature is Valid" in report and "Signer Certificate Common Name: 电子证照专用章" in report, report
    # The seal's red lands in the box that the rendition left blank.
    region = seal_box_pixels(saved(stamped, tmp_path), rendered.seal_box)
    assert sum(1 for r, g, b in region.get_flattened_data() if r > 180 and g < 150 and b < 150) > 200
