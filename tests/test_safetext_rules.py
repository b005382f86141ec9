"""The text-safety rules of gisplan.safetext that the store and the CLI use (CSV formulas,
terminal escapes, names, credentials)."""

from __future__ import annotations

import pandas as pd
import pytest

from gisplan.errors import InputError
from gisplan.safetext import (
    clean_name,
    csv_cell,
    csv_safe_frame,
    redact_credentials,
    terminal_text,
)

FORMULAS = [
    '=HYPERLINK("http://x","点我")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\t=1",
    "＝1+1",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_cells_are_neutralised(text: str) -> None:
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["三江口小区", "a=b", "", 5, -3.5, None, "100%"])
def test_ordinary_cells_are_unchanged(value) -> None:
    assert csv_cell(value) == value


def test_frame_keeps_numbers_and_neutralises_text_and_headers() -> None:
    frame = pd.DataFrame({"name": ["=1+1", "普通"], "minutes": [-1.5, 2.0], "=x": ["a", "b"]})
    out = csv_safe_frame(frame)
    assert list(out["name"]) == ["'=1+1", "普通"]
    assert list(out["minutes"]) == [-1.5, 2.0]
    assert list(out.columns) == ["name", "minutes", "'=x"]
    assert list(frame["name"]) == ["=1+1", "普通"]  # the input is not changed


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31m红\x1b[0m", "红"),
        ("a\x1b]0;pwned title\x07b", "ab"),
        ("x\x1b[2J\x1b[Hy", "xy"),
        ("line\nbreak\rcarriage\x08", "linebreakcarriage"),
        ("abc\u202edcba", "abcdcba"),
        ("zero\u200bwidth", "zerowidth"),
        ("\x9b31m8-bit", "8-bit"),
        ("正常名称 Normal", "正常名称 Normal"),
    ],
)
def test_terminal_text_strips_escapes_and_controls(raw: str, shown: str) -> None:
    assert terminal_text(raw) == shown


def test_clean_name_normalises_to_nfc() -> None:
    decomposed = "Cafe\u0301 方案"
    assert clean_name(f"  {decomposed} ") == "Café 方案"


@pytest.mark.parametrize(
    "name",
    [
        "方案\u202eA",
        "方\u200b案",
        "方案\u2066x\u2069",
        "bell\x07",
        "tab\tname",
        "a\u2028b",
        "\ufeffname",
    ],
)
def test_clean_name_refuses_invisible_and_control_characters(name: str) -> None:
    with pytest.raises(InputError) as err:
        clean_name(name)
    assert err.value.field == "name" and "U+" in str(err.value)


def test_clean_name_refuses_empty_and_long() -> None:
    with pytest.raises(InputError, match="empty"):
        clean_name("   ")
    with pytest.raises(InputError, match="at most 5"):
        clean_name("abcdef", max_len=5)


@pytest.mark.parametrize(
    "text",
    [
        "postgresql//planner:S3cretPW@host/db",
        "postgresql://planner:S3cretPW@host:5432/db",
        "postgresql+psycopg2://planner:S3cretPW@host/db",
        "postgresql://planner:S3cr@tPW@host/db",
        "postgresql:planner:S3cretPW@host/db",
        "not a database URL: 'postgresql://planner:S3cretPW@host/db' (see docs)",
        "host=db user=planner password=S3cretPW dbname=x",
        "postgresql://host/db?user=planner&password=S3cretPW",
    ],
)
def test_redact_credentials_hides_the_password(text: str) -> None:
    shown = redact_credentials(text)
    assert "S3cretPW" not in shown and "S3cr" not in shown
    assert "***" in shown


def test_redact_credentials_keeps_urls_without_password() -> None:
    for text in ["sqlite:////srv/plans.db", "postgresql://planner@host/db", "plain words"]:
        assert redact_credentials(text) == text
