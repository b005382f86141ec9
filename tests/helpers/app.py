"""AppTest helpers shared by the app tests: opening a page, signing in.

The demo access model is the ``model`` fixture of ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "gisplan" / "app" / "pages"
TIMEOUT = 180


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
