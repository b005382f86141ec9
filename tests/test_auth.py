"""Tests of gisplan.store.auth: password hashing, user tables, sign-in and the role matrix."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import bcrypt
import pytest

from gisplan.errors import InputError
from gisplan.store.auth import (
    ACTIONS,
    ROLES,
    PermissionDenied,
    User,
    authenticate,
    can,
    hash_password,
    hash_password_command,
    load_users,
    require,
    verify_password,
)

PW = "宁波-三江口-2025!"


@pytest.fixture(scope="module")
def hashes() -> dict[str, str]:
    # Low cost factor keeps the tests fast; the default (12) is checked separately.
    return {"zhang": hash_password(PW, rounds=4), "li": hash_password("official pw", rounds=4)}


@pytest.fixture
def users(hashes):
    return load_users(
        {
            "zhang": {"password_hash": hashes["zhang"], "role": "planner", "display_name": "张工"},
            "li": {"password_hash": hashes["li"], "role": "official"},
        }
    )


def test_hash_is_bcrypt_salted_and_not_plain() -> None:
    h1, h2 = hash_password(PW), hash_password(PW)
    assert h1 != h2  # fresh salt each time
    for h in (h1, h2):
        assert h.startswith("$2b$12$") and len(h) == 60
        assert PW not in h and "宁波" not in h
        assert bcrypt.checkpw(PW.encode(), h.encode())  # a standard bcrypt hash
        assert verify_password(PW, h)
    assert not verify_password(PW + " ", h1)
    assert not verify_password("", h1)
    assert not verify_password(PW, "not a hash")
    assert not verify_password(PW, PW)


def test_password_length_limits() -> None:
    with pytest.raises(InputError) as err:
        hash_password("")
    assert err.value.field == "password"
    ok = "密" * 24  # 72 bytes in UTF-8: the bcrypt limit
    assert verify_password(ok, hash_password(ok, rounds=4))
    with pytest.raises(InputError) as err:
        hash_password(ok + "a")
    assert "73 bytes" in str(err.value)


def test_authenticate(users) -> None:
    user = authenticate("zhang", PW, users)
    assert user == User("zhang", "planner", "张工")
    assert authenticate(" zhang ", PW, users) == user
    assert authenticate("zhang", "wrong", users) is None
    assert authenticate("zhang", PW[:-1] + "?", users) is None
    assert authenticate("nobody", PW, users) is None
    assert authenticate("li", PW, users) is None
    li = authenticate("li", "official pw", users)
    assert li is not None and li.role == "official" and li.display_name == "li"


def test_users_from_environment_json_and_toml(hashes, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("GISPLAN_USERS", raising=False)
    monkeypatch.delenv("GISPLAN_USERS_FILE", raising=False)
    assert load_users() == {}
    table = {"zhang": {"password_hash": hashes["zhang"], "role": "planner", "display_name": "张工"}}
    monkeypatch.setenv("GISPLAN_USERS", json.dumps(table, ensure_ascii=False))
    assert authenticate("zhang", PW, load_users()).display_name == "张工"

    toml_text = (
        '[users.zhang]\npassword_hash = "{h}"\nrole = "planner"\ndisplay_name = "张工"\n'
        '[users.li]\npassword_hash = "{g}"\nrole = "official"\n'
    ).format(h=hashes["zhang"], g=hashes["li"])
    monkeypatch.setenv("GISPLAN_USERS", toml_text)
    loaded = load_users()
    assert set(loaded) == {"zhang", "li"} and loaded["li"].role == "official"
    bare = toml_text.replace("[users.", "[")
    monkeypatch.setenv("GISPLAN_USERS", bare)
    assert set(load_users()) == {"zhang", "li"}

    monkeypatch.delenv("GISPLAN_USERS")
    path = tmp_path / "users.toml"
    path.write_text(toml_text, encoding="utf-8")
    monkeypatch.setenv("GISPLAN_USERS_FILE", str(path))
    assert authenticate("li", "official pw", load_users()).role == "official"
    monkeypatch.setenv("GISPLAN_USERS_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(InputError) as err:
        load_users()
    assert err.value.file.endswith("missing.toml")


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"password_hash": "plain-text", "role": "planner"}, "zhang.password_hash"),
        ({"role": "planner"}, "zhang.password_hash"),
        ({"password_hash": "$2b$04$" + "a" * 53, "role": "root"}, "zhang.role"),
        ("just a string", "zhang"),
    ],
)
def test_malformed_user_entries(entry, field) -> None:
    with pytest.raises(InputError) as err:
        load_users({"zhang": entry})
    assert err.value.field == field


def test_bad_env_text_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("GISPLAN_USERS", "{not json")
    with pytest.raises(InputError) as err:
        load_users()
    assert err.value.file == "GISPLAN_USERS"


def test_role_matrix() -> None:
    planner, official, public = User("a", "planner"), User("b", "official"), User("c", "public")
    for action in ACTIONS:
        assert can(planner, action) and can(official, action)
        assert not can(public, action) and not can(None, action)
        assert require(planner, action) is planner
        for who in (None, public):
            with pytest.raises(PermissionDenied) as err:
                require(who, action)
            assert err.value.action == action and err.value.role == "public"
            assert isinstance(err.value, PermissionError)
    with pytest.raises(ValueError):
        can(planner, "launch")
    with pytest.raises(InputError):
        User("x", "root")
    assert ROLES == ("public", "planner", "official", "admin")


def test_permission_message_is_bilingual() -> None:
    with pytest.raises(PermissionDenied) as err:
        require(None, "delete")
    text = str(err.value)
    assert "删除方案" in text and "delete scenarios" in text and "planner or official" in text


def test_hash_password_command() -> None:
    out = io.StringIO()
    assert hash_password_command(from_stdin=True, stdin=io.StringIO(PW + "\n"), stdout=out) == 0
    printed = out.getvalue().strip()
    assert verify_password(PW, printed) and PW not in printed
    assert (
        hash_password_command(from_stdin=True, stdin=io.StringIO("\n"), stdout=io.StringIO()) == 2
    )


def test_hash_password_module_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gisplan.store.auth", "--stdin"],
        input="s3cret 密码\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert verify_password("s3cret 密码", proc.stdout.strip())


@pytest.mark.parametrize("rounds", [4, 6])
def test_unknown_user_costs_the_same_bcrypt_work(monkeypatch, rounds: int) -> None:
    """An unknown username is checked against a dummy hash of the configured users' cost."""
    users = load_users(
        {"zhang": {"password_hash": hash_password(PW, rounds=rounds), "role": "planner"}}
    )
    seen: list[str] = []
    real = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        seen.append(hashed.decode()[:7])
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    assert authenticate("nobody", PW, users) is None
    assert authenticate("zhang", "wrong", users) is None
    assert seen == [f"$2b${rounds:02d}$"] * 2


def test_unknown_user_takes_about_as_long_as_a_wrong_password() -> None:
    import time

    users = load_users({"zhang": {"password_hash": hash_password(PW, rounds=8), "role": "planner"}})

    def best(name: str) -> float:
        times = []
        for _ in range(6):
            t0 = time.perf_counter()
            authenticate(name, "wrong password", users)
            times.append(time.perf_counter() - t0)
        return min(times)

    authenticate("nobody", "warm up", users)  # the dummy hash is made once per cost
    unknown, wrong = best("nobody"), best("zhang")
    # Same cost: within a factor of 4 of each other even on a busy machine (a cost-12 dummy
    # against cost-8 users would be ~16 times slower).
    assert 0.25 < unknown / wrong < 4.0, (unknown, wrong)


def test_admin_role_may_do_everything() -> None:
    from gisplan.store.auth import may_change

    admin = User("wang", "admin")
    assert all(can(admin, a) for a in ACTIONS)
    assert may_change(admin, "zhang") and not may_change(User("li", "official"), "zhang")


def test_permission_errors_survive_pickling() -> None:
    import pickle

    from gisplan.store.auth import NotAuthor

    err = pickle.loads(pickle.dumps(PermissionDenied("delete", "public")))
    assert err.action == "delete" and "删除方案" in str(err)
    err = pickle.loads(pickle.dumps(NotAuthor("delete", "official", "方案", "zhang")))
    assert err.author == "zhang" and "zhang" in str(err)
