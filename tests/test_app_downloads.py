"""Coverage downloads need a signed-in planner or official (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from gisplan.store import hash_password
from tests.helpers.app import sign_in

PAGE = str(Path(__file__).resolve().parents[1] / "gisplan" / "app" / "pages" / "coverage.py")


def _download_buttons(at: AppTest) -> list:
    return [el for el in at.get("download_button")]


def test_public_visitor_gets_no_coverage_downloads(monkeypatch, tmp_path):
    table = {"wang": {"password_hash": hash_password("pw-wang", rounds=4), "role": "planner"}}
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(table))
    monkeypatch.delenv("GISPLAN_USERS_FILE", raising=False)
    monkeypatch.setenv("GISPLAN_DB", f"sqlite:///{tmp_path / 'plans.db'}")
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _download_buttons(at) == []
    # The coverage figures themselves stay visible to everyone.
    assert len(at.metric) > 0
    # A wrong password does not unlock them.
    sign_in(at, "wang", "wrong")
    assert _download_buttons(at) == []
    # the username stays in its field; only the password is asked again (issue 11, item 25)
    assert at.sidebar.text_input[0].value == "wang"
    sign_in(at, "wang", "pw-wang")
    labels = [b.label for b in _download_buttons(at)]
    assert len(labels) == 5 and "缺口清单 CSV" in labels, labels
