"""`dialer leads import` against hostile files: every refusal is one clear line and imports nothing; every
malformed row costs that row only; never a traceback. The corpus is generated here, nothing large is committed."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from harness.cli import run
from typer.testing import CliRunner

CAMPAIGN = """
name = "{name}"
queue = "sales"
trunk = "PJSIP/{{number}}@carrier"
caller_id = {{ number = "+14155550100", name = "Acme" }}
"""


def campaign(cli: CliRunner, tmp_path: Path, name: str = "hostile") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(CAMPAIGN.format(name=name), encoding="utf-8")
    code, _, err = run(cli, "campaign", "apply", str(path))
    assert code == 0, err
    return name


def import_file(cli: CliRunner, name: str, path: Path, *extra: str) -> tuple[int, str, str]:
    return run(cli, "leads", "import", "--campaign", name, str(path), *extra)


def campaign_leads(tmp_path: Path, name: str, columns: str) -> list[Any]:
    """``columns`` of the campaign's leads (``l``) in the CLI's database, by phone number."""
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        return conn.execute(
            f"SELECT {columns} FROM leads l JOIN campaigns c ON c.id = l.campaign_id WHERE c.name = ? ORDER BY l.phone",
            (name,),
        ).fetchall()


def stored(tmp_path: Path, name: str) -> list[tuple[str, str, str, dict[str, str]]]:
    rows = campaign_leads(tmp_path, name, "l.phone, l.first_name, l.last_name, l.fields, l.status")
    assert all(status == "new" for *_, status in rows)
    return [(phone, first, last, json.loads(fields)) for phone, first, last, fields, _ in rows]


def display_names(tmp_path: Path, name: str) -> list[str]:
    return [r[0] for r in campaign_leads(tmp_path, name, "l.display_name")]


def assert_refused(code: int, out: str, err: str, *words: str) -> None:
    assert code == 1, (out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "nothing was imported" in lines[0]
    for word in words:
        assert word in lines[0], lines[0]


def us_rows(n: int, start: int = 0) -> list[str]:
    return [f"+1415555{start + i:04d},First{i},Last{i},note {i}" for i in range(n)]


AREAS = ("212", "213", "312", "415", "617", "646", "718", "305", "206", "404")


def unclosed_quote_file(path: Path, rows: int) -> None:
    """``rows`` valid rows; the second one opens a quote it never closes."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("phone,first_name,last_name,notes\n")
        for i in range(rows):
            area = AREAS[i // 10_000]
            note = '"never closed' if i == 1 else f"note {i}"
            fh.write(f"+1{area}555{i % 10_000:04d},F{i},L{i},{note}\n")


@pytest.mark.parametrize("rows", [100, 60_000])  # the small file and a few-MB one
def test_an_unclosed_quote_costs_one_row(cli: CliRunner, tmp_path: Path, rows: int) -> None:
    name = campaign(cli, tmp_path)
    path = tmp_path / "quote.csv"
    unclosed_quote_file(path, rows)
    code, out, err = import_file(cli, name, path)
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["imported"], summary["invalid"]) == (rows - 1, 1)
    report = Path(summary["errors_file"]).read_text(encoding="utf-8")
    assert "malformed" in report
    assert "unclosed quote" in report
    assert len(stored(tmp_path, name)) == rows - 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (random.Random(7).randbytes(200_000), ("binary",)),
        (b"\x89PNG\r\n\x1a\n" + random.Random(8).randbytes(5_000), ("PNG",)),
        (b"PK\x03\x04" + random.Random(9).randbytes(5_000), ("xlsx",)),
    ],
    ids=["random-bytes", "png", "xlsx"],
)
def test_binary_files_are_refused_in_one_line(
    cli: CliRunner, tmp_path: Path, data: bytes, words: tuple[str, ...]
) -> None:
    name = campaign(cli, tmp_path)
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    assert_refused(*import_file(cli, name, path), *words)
    assert stored(tmp_path, name) == []


def test_cr_only_line_endings_import(cli: CliRunner, tmp_path: Path) -> None:
    name = campaign(cli, tmp_path)
    path = tmp_path / "mac.csv"
    path.write_bytes(("phone,first_name,last_name,notes\r" + "\r".join(us_rows(20)) + "\r").encode("cp1252"))
    code, out, err = import_file(cli, name, path)
    assert code == 0, err
    assert json.loads(out)["imported"] == 20
    assert stored(tmp_path, name)[0][:3] == ("+14155550000", "First0", "Last0")


def test_phone_extensions_are_kept(cli: CliRunner, tmp_path: Path) -> None:
    name = campaign(cli, tmp_path)
    path = tmp_path / "ext.csv"
    path.write_text(
        "phone,first_name\n"
        "+1 415 555 0101 ext 5,Ann\n"
        "+1 415 555 0102 x12,Bob\n"
        "+14155550103;ext=9,Cy\n"
        "415-555-0104 #77,Di\n"
        "415-555-0105#,Ed\n",
        encoding="utf-8",
    )
    code, out, err = import_file(cli, name, path)
    assert code == 0, err
    assert json.loads(out)["imported"] == 5
    leads = {phone: fields.get("phone_extension") for phone, _, _, fields in stored(tmp_path, name)}
    assert leads == {
        "+14155550101": "5",
        "+14155550102": "12",
        "+14155550103": "9",
        "+14155550104": "77",
        "+14155550105": None,
    }


def test_a_repeated_lead_field_header_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    name = campaign(cli, tmp_path)
    path = tmp_path / "dup.csv"
    path.write_text("phone,first_name,first_name\n+14155550101,Ann,Anne\n", encoding="utf-8")
    assert_refused(*import_file(cli, name, path), "first_name", "--map 3=skip")
    code, out, err = import_file(cli, name, path, "--map", "3=skip")
    assert code == 0, err
    assert json.loads(out)["imported"] == 1
    assert stored(tmp_path, name)[0][1] == "Ann"


def test_an_unknown_region_is_refused(cli: CliRunner, tmp_path: Path) -> None:
    name = campaign(cli, tmp_path)
    path = tmp_path / "l.csv"
    path.write_text("phone\n4155550101\n", encoding="utf-8")
    assert_refused(*import_file(cli, name, path, "--region", "XX"), "unknown region 'XX'")
    assert stored(tmp_path, name) == []


# -- encodings --------------------------------------------------------------------------------------------------

FAMILY = ("山田", "田中", "中村", "小林", "王", "李", "高木", "林", "石川", "大野")
GIVEN = ("太郎", "花子", "一郎", "明", "美", "さくら", "ゆうき", "大介", "春", "月")
_FULL = str.maketrans("0123456789-", "０１２３４５６７８９−")


def cjk_rows() -> list[tuple[str, str, str, str]]:
    """100 leads with Japanese and Chinese names and numbers (some written with full-width digits)."""
    rng = random.Random(19)
    rows = []
    for i in range(100):
        if i % 2:
            phone = f"+86 138 {i:04d} {rng.randrange(10_000):04d}"
        else:
            phone = f"090-{1000 + i:04d}-{rng.randrange(10_000):04d}"
            if i % 4 == 0:
                phone = phone.translate(_FULL)
        rows.append((phone, rng.choice(FAMILY), rng.choice(GIVEN), f"お客様{i}"))
    return rows


def cjk_file(encoding: str, delimiter: str = ",") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["電話番号", "姓", "名", "メモ"])
    writer.writerows(cjk_rows())
    return text.getvalue().encode(encoding)


ENCODINGS = {
    "utf-8": lambda: cjk_file("utf-8"),
    "utf-8-bom": lambda: cjk_file("utf-8-sig"),
    "utf-16-excel-unicode-text": lambda: cjk_file("utf-16", "\t"),
    "cp932": lambda: cjk_file("cp932"),
    "gb18030": lambda: cjk_file("gb18030"),
    "euc-jp": lambda: cjk_file("euc_jp"),
}


def test_the_same_leads_in_every_encoding_are_stored_identically(cli: CliRunner, tmp_path: Path) -> None:
    results = {}
    for label, make in ENCODINGS.items():
        name = campaign(cli, tmp_path, f"enc-{label}")
        path = tmp_path / f"{label}.csv"
        path.write_bytes(make())
        code, out, err = import_file(cli, name, path, "--region", "JP")
        assert code == 0, (label, err)
        assert json.loads(out)["imported"] == 100, (label, out)
        results[label] = stored(tmp_path, name)
    reference = results.pop("utf-8")
    assert ("+819010000" in reference[0][0]) or any(p.startswith("+8190") for p, *_ in reference)
    names = {(last, first) for _, first, last, _ in reference}
    assert names <= {(f, g) for f in FAMILY for g in GIVEN}  # 姓 is the family name, 名 the given name
    shown = display_names(tmp_path, "enc-cp932")
    assert len(shown) == 100
    assert all(d.split(" ")[0] in FAMILY and d.split(" ")[1] in GIVEN for d in shown)  # family first
    assert any(fields.get("メモ") == "お客様0" for *_, fields in reference)
    for label, leads in results.items():
        assert leads == reference, label


def test_non_ascii_headers_are_mapped_exactly(cli: CliRunner, tmp_path: Path) -> None:
    name = campaign(cli, tmp_path)
    path = tmp_path / "map.csv"
    path.write_text("氏名,連絡先,備考\n山田 太郎,090-1234-5678,x\n", encoding="utf-8")
    code, out, err = import_file(cli, name, path, "--map", "連絡先=phone", "--region", "JP")
    assert code == 0, err
    assert json.loads(out)["imported"] == 1
    ((phone, first, last, fields),) = stored(tmp_path, name)
    assert (last, first) == ("山田", "太郎")  # the column 氏名 (name), family name first; not the phone
    assert phone == "+819012345678"
    assert fields == {"備考": "x"}
    assert display_names(tmp_path, name) == ["山田 太郎"]  # shown as written, never "太郎 山田"


def test_an_unknown_encoding_is_refused_with_the_candidates(cli: CliRunner, tmp_path: Path) -> None:
    name = campaign(cli, tmp_path)
    path = tmp_path / "koi8.csv"
    lines = ["phone,name"] + [f"+7495123{i:04d},Пётр Смирнов {i}" for i in range(50)]
    path.write_bytes("\n".join(lines).encode("koi8_r"))
    code, out, err = import_file(cli, name, path)
    assert_refused(code, out, err, "candidates", "--encoding")
    assert stored(tmp_path, name) == []
    code, out, err = import_file(cli, name, path, "--encoding", "koi8_r")
    assert code == 0, err
    assert stored(tmp_path, name)[0][1:3] == ("Пётр Смирнов", "0")
