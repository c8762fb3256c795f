"""An operator's settings come from one object (core/settings.py), read when a server or a
command starts, never when a module is imported (issue 19)."""

import ast
from pathlib import Path

import pytest

from cunguan.core.settings import DATABASE_URL_DEFAULT, settings

SRC = Path(__file__).resolve().parents[3] / "src" / "cunguan"
#: Where the environment is touched: the settings object reads it; ``cunguan serve`` writes
#: its options there for the server processes it starts.
_ALLOWED = {Path("core/settings.py"), Path("platform/cli/serve.py")}


def test_settings_are_read_when_asked_not_when_imported(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setenv("CUNGUAN_TRUSTED_PROXIES", "10.0.0.1, 10.0.1.0/24")
    monkeypatch.setenv("CUNGUAN_CALLBACK_ALLOWED_HOSTS", "Receiver.Example,127.0.0.1")
    monkeypatch.setenv("CUNGUAN_GROUP_COMMIT", "0")
    given = settings()
    assert given.trusted_proxy_list() == ["10.0.0.1", "10.0.1.0/24"]
    assert given.callback_allowed_host_set() == {"receiver.example", "127.0.0.1"}
    assert given.group_commit is False


def test_the_database_url_falls_back_to_the_embedded_default(monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    from cunguan.db.connection import database_url
    monkeypatch.delenv("CUNGUAN_DATABASE_URL", raising=False)
    assert database_url() == DATABASE_URL_DEFAULT
    monkeypatch.setenv("CUNGUAN_DATABASE_URL", "sqlite:///elsewhere.db")
    assert database_url() == "sqlite:///elsewhere.db"
    assert database_url("sqlite:///explicit.db") == "sqlite:///explicit.db"


def test_no_module_reads_the_environment_but_the_settings() -> None:
    readers = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC) in _ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
                    and isinstance(node.value, ast.Name) and node.value.id == "os"):
                readers.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert readers == []


@pytest.mark.parametrize(("variable", "value"), [
    ("CUNGUAN_WORKER_INTERVAL_S", "nan"), ("CUNGUAN_WORKER_INTERVAL_S", "inf"),
    ("CUNGUAN_WORKER_INTERVAL_S", "0"), ("CUNGUAN_WORKER_INTERVAL_S", "２"),
    ("CUNGUAN_GROUP_COMMIT", "maybe"), ("CUNGUAN_RUN_WORKER", "2")])
def test_a_setting_not_of_its_form_is_refused_naming_its_variable(
        monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    from cunguan.core.fields import FieldInvalid
    monkeypatch.setenv(variable, value)
    with pytest.raises(FieldInvalid) as refused:
        settings()
    assert refused.value.details["field"] == variable
