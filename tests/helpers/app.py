"""AppTest helpers shared by the app tests: opening a page, signing in.

The demo access model is the ``model`` fixture of ``tests/conftest.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gisplan.store import hash_password

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "gisplan" / "app" / "pages"
TIMEOUT = 180
#: Password of the planner ``zhang`` of the :func:`users` fixture.
PASSWORD = "规划-pw-1"


@pytest.fixture()
def users(monkeypatch, tmp_path) -> str:
    """Planner ``zhang`` (:data:`PASSWORD`) and a ``public`` visitor in ``GISPLAN_USERS``, and a
    temporary scenario database in ``GISPLAN_DB``; returns the database URL."""
    table = {
        "zhang": {
            "password_hash": hash_password(PASSWORD, rounds=4),
            "role": "planner",
            "display_name": "张工",
        },
        "visitor": {
            "password_hash": hash_password("visitor-pw", rounds=4),
            "role": "public",
        },
    }
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(table))
    monkeypatch.delenv("GISPLAN_USERS_FILE", raising=False)
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    monkeypatch.setenv("GISPLAN_DB", url)
    return url


def open_page(path: str | Path, timeout: float = TIMEOUT) -> AppTest:
    """Run a page script once with AppTest; fails on any exception shown."""
    at = AppTest.from_file(str(path), default_timeout=timeout)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    """Fill the sidebar sign-in form (Chinese or English) and submit it."""
    at.sidebar.text_input[0].input(username)
    at.sidebar.text_input[1].input(password)
    form_buttons = [b for b in at.sidebar.button if b.label in ("登录", "Sign in")]
    assert len(form_buttons) == 1
    form_buttons[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at
