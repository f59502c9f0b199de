"""``softr-orm shell``: session and models ready, code from stdin or -c, IPython or code."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import softr_orm
from softr_orm.cli import build_parser, shell
from softr_orm.emulator import DEMO_DATABASE_ID
from softr_orm.errors import ConfigurationError


def parse(*argv: str) -> Any:
    return build_parser().parse_args(["shell", *argv])


def current_default() -> softr_orm.Session | None:
    try:
        return softr_orm.default_session()
    except ConfigurationError:
        return None


def test_shell_runs_code_piped_on_stdin() -> None:
    """The real command: ``--emulator`` with code on stdin prints the demo's contact count."""
    done = subprocess.run(
        [sys.executable, "-m", "softr_orm.cli", "shell", "--emulator"],
        input="print(Contact.objects.count())\nprint(Company.objects.count())\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["60", "12"]


def test_interactive_shell_gets_session_and_models() -> None:
    """The interactive shell receives a namespace with the models and the default session."""
    seen: dict[str, Any] = {}

    def fake_interact(namespace: dict[str, Any], banner: str) -> None:
        seen["banner"] = banner
        seen["names"] = set(namespace)
        seen["count"] = namespace["Contact"].objects.count()
        seen["is_default"] = softr_orm.default_session() is namespace["session"]

    before = current_default()
    assert shell.run(parse("--emulator"), interact_with=fake_interact) == 0
    assert seen["count"] == 60
    assert seen["is_default"] is True
    assert {"Company", "Contact", "Deal", "session", "emulator", "Q", "fields"} <= seen["names"]
    assert "Models: Company, Contact, Deal" in seen["banner"]
    assert current_default() is before  # restored on the way out


def test_command_option(capsys: pytest.CaptureFixture[str]) -> None:
    """``-c CODE`` runs CODE against the emulator and exits."""
    assert shell.run(parse("--emulator", "-c", "print(Deal.objects.count())")) == 0
    assert capsys.readouterr().out.strip() == "40"


def test_stdin_that_is_not_a_terminal_is_executed(capsys: pytest.CaptureFixture[str]) -> None:
    """Piped input runs as a script rather than an interactive session."""
    stdin = io.StringIO("print(sorted(n for n in ('Deal', 'Contact') if n in globals()))\n")
    assert shell.run(parse("--emulator"), stdin=stdin) == 0
    assert capsys.readouterr().out.strip() == "['Contact', 'Deal']"


def test_models_from_a_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--models FILE`` loads the models defined in it (and only those)."""
    module = tmp_path / "my_shell_models.py"
    module.write_text(
        "from softr_orm import Model, fields\n"
        "from softr_orm.emulator import DEMO_DATABASE_ID\n\n"
        "class Lead(Model):\n"
        "    name = fields.SingleLineText('Full Name')\n\n"
        "    class Meta:\n"
        "        database = DEMO_DATABASE_ID\n"
        "        table = 'Contacts'\n"
    )
    code = "print(Lead.objects.count(), 'Contact' in dir())"
    assert shell.run(parse("--emulator", "--models", str(module), "-c", code)) == 0
    assert capsys.readouterr().out.strip() == "60 False"


def test_models_generated_on_the_fly(capsys: pytest.CaptureFixture[str]) -> None:
    """``--database ID`` generates models from the live schema (softr_orm.schema.tools)."""
    code = (
        "print(sorted(k for k, v in globals().items() if isinstance(v, type)))\n"
        "print(Deals.objects.count())"
    )
    assert shell.run(parse("--emulator", "--database", DEMO_DATABASE_ID, "-c", code)) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "Contacts" in lines[0] and "Deals" in lines[0] and "Companies" in lines[0]
    assert lines[1] == "40"


def test_without_a_key_the_shell_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --emulator and no SOFTR_API_KEY: exit status 2 and the reason, no traceback."""
    monkeypatch.delenv("SOFTR_API_KEY", raising=False)
    monkeypatch.delenv("SOFTR_API_KEY_FILE", raising=False)
    assert shell.run(parse("-c", "pass")) == 2
    assert "SOFTR_API_KEY" in capsys.readouterr().err


def test_interact_prefers_ipython(monkeypatch: pytest.MonkeyPatch) -> None:
    """With IPython importable, ``interact`` starts it on the namespace."""
    calls: list[dict[str, Any]] = []
    fake = type(sys)("IPython")
    fake.start_ipython = lambda **kw: calls.append(kw)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    shell.interact({"x": 1}, "banner")
    assert calls and calls[0]["user_ns"] == {"x": 1}


def test_interact_falls_back_to_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without IPython (or with ``-i python``) the standard library's shell is used."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setitem(sys.modules, "IPython", None)  # import fails
    monkeypatch.setattr(shell.code, "interact", lambda **kw: calls.append(kw))
    shell.interact({"x": 1}, "banner")
    assert calls[0]["local"] == {"x": 1}
    assert calls[0]["banner"] == "banner"
    with pytest.raises(SystemExit, match="IPython is not installed"):
        shell.interact({}, "banner", "ipython")
