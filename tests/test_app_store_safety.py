"""方案管理 and sign-in through AppTest: database faults are one line without a password,
only authors (or admins) delete, sign-in backs off, a bad users entry tells visitors nothing."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gisplan.store import ScenarioRecord, ScenarioStore, User, engine_from_env, hash_password
from gisplan.store.throttle import FREE_FAILURES

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "gisplan" / "app" / "pages" / "scenarios.py")
TIMEOUT = 120
SECRET = "S3cretPW"


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch):
    from gisplan.app import auth
    from gisplan.store.throttle import SignInThrottle

    monkeypatch.setattr(auth, "THROTTLE", SignInThrottle())


@pytest.fixture
def users(monkeypatch):
    table = {
        "li": {"password_hash": hash_password("pw-li", rounds=4), "role": "official"},
        "zhao": {"password_hash": hash_password("pw-zhao", rounds=4), "role": "official"},
        "wang": {"password_hash": hash_password("pw-wang", rounds=4), "role": "admin"},
    }
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(table))
    monkeypatch.delenv("GISPLAN_USERS_FILE", raising=False)


@pytest.fixture
def db(monkeypatch, tmp_path, users):
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    monkeypatch.setenv("GISPLAN_DB", url)
    store = ScenarioStore(engine_from_env(url))
    store.save(User("li", "official"), ScenarioRecord("李的方案", None, {"k": 1}, None, {"x": 1}))
    store.save(User("li", "official"), ScenarioRecord("另一个", None, {"k": 2}, None, {"x": 2}))
    yield store
    store.engine.dispose()


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.sidebar.text_input[0].input(username)
    at.sidebar.text_input[1].input(password)
    [b for b in at.sidebar.button if b.label == "登录"][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "info", "warning", "success", "error")
    return " ".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_mistyped_db_url_shows_no_password(users, monkeypatch, caplog) -> None:
    monkeypatch.setenv("GISPLAN_DB", f"postgresql//planner:{SECRET}@host/db")
    caplog.set_level(logging.WARNING)
    at = sign_in(run_page(), "li", "pw-li")
    errors = [e.value.replace("\\", "") for e in at.error]  # shown as Markdown-escaped text
    assert len(errors) == 1 and "GISPLAN_DB" in errors[0] and "***" in errors[0]
    assert SECRET not in page_text(at) and SECRET not in caplog.text
    assert not at.exception


def test_damaged_database_is_one_line(users, monkeypatch, tmp_path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("这只是一个文本文件\n" * 20, encoding="utf-8")
    monkeypatch.setenv("GISPLAN_DB", f"sqlite:///{bad}")
    at = sign_in(run_page(), "li", "pw-li")
    errors = [e.value.replace("\\", "") for e in at.error]
    assert len(errors) == 1 and "not a SQLite database" in errors[0]
    # said in the session's language first, the technical line for the administrator after
    assert errors[0].startswith("方案数据库暂时无法使用，请把以下信息告知管理员：")
    assert bad.read_text(encoding="utf-8").startswith("这只是")


def test_damaged_row_is_one_line_others_still_listed(db, tmp_path) -> None:
    with sqlite3.connect(tmp_path / "plans.db") as con:
        con.execute("UPDATE scenario SET results = '{oops' WHERE name = '另一个'")
    con.close()
    at = sign_in(run_page(), "li", "pw-li")
    assert "另一个" in at.selectbox(key="scenario_open").options
    at.selectbox(key="scenario_open").set_value("另一个").run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    assert len(errors) == 1 and "damaged" in errors[0] and "另一个" in errors[0]


def test_only_the_author_or_an_admin_may_delete(db) -> None:
    at = sign_in(run_page(), "zhao", "pw-zhao")
    at.selectbox(key="scenario_open").set_value("李的方案").run()
    assert any("只有作者" in i.value and "li" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "delete_button"]
    assert {s.name for s in db.list(User("li", "official"))} == {"李的方案", "另一个"}
    # An admin sees the delete button and may delete li's scenario.
    at = sign_in(run_page(), "wang", "pw-wang")
    at.selectbox(key="scenario_open").set_value("李的方案").run()
    at.checkbox(key="delete_confirm:李的方案").check().run()
    at.button(key="delete_button").click().run()
    assert not at.exception
    assert {s.name for s in db.list(User("li", "official"))} == {"另一个"}
    assert db.audit(User("li", "official"), "李的方案")[0].username == "wang"


def test_sign_in_backs_off_and_logs(users, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="gisplan.auth")
    at = run_page()
    for i in range(FREE_FAILURES + 1):
        sign_in(at, "li", f"guess-{i}")
        assert [e.value for e in at.error] == ["用户名或密码错误。"]
    sign_in(at, "li", "pw-li")  # the right password, but during the back-off
    assert [e.value for e in at.error] == ["登录失败次数过多，请 1 秒后再试。"]
    assert "李的方案" not in page_text(at)
    assert "failed sign-in for user 'li'" in caplog.text
    assert "guess-" not in caplog.text and "pw-li" not in caplog.text


def test_bad_users_entry_tells_visitors_nothing(monkeypatch, caplog, tmp_path) -> None:
    users_file = tmp_path / "secret-users.toml"
    users_file.write_text(
        '[zhang]\npassword_hash = "plain"\nrole = "planner"\n'
        f'[li]\npassword_hash = "{hash_password("pw", rounds=4)}"\nrole = "official"\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("GISPLAN_USERS", raising=False)
    monkeypatch.setenv("GISPLAN_USERS_FILE", str(users_file))
    caplog.set_level(logging.ERROR, logger="gisplan.app")
    at = run_page()
    shown = page_text(at)
    assert "登录暂不可用" in shown
    assert "secret-users" not in shown and "zhang" not in shown and "password_hash" not in shown
    assert "secret-users.toml" in caplog.text and "zhang" in caplog.text
