"""The root builds only the command that runs, and lists all of them correctly."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.main import get_command

from ssi_wallet.cli.app import COMMANDS, app

_PROBE = (
    "import sys, json\n"
    "sys.argv = ['ssi-wallet', *{args!r}]\n"
    "from ssi_wallet.cli.main import run\n"
    "try:\n    run()\nexcept SystemExit:\n    pass\n"
    "print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefixes!r}))),"
    " file=sys.stderr)\n"
)


def _loaded(*args: str, prefixes: tuple[str, ...]) -> list[str]:
    probe = _PROBE.format(args=list(args), prefixes=prefixes)
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60)
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_listed_help_is_each_commands_own() -> None:
    root = get_command(app)
    assert list(root.list_commands(None)) == list(COMMANDS)  # type: ignore[arg-type]
    for name, entry in COMMANDS.items():
        built = root.get_command(None, name)  # type: ignore[arg-type]
        assert built is not None, name
        assert built.get_short_help_str(limit=1000) == entry.help, name


def test_root_help_builds_no_command_module() -> None:
    loaded = _loaded("--help", prefixes=("ssi_wallet.cli.", "rich", "httpx"))
    assert loaded == ["ssi_wallet.cli.app", "ssi_wallet.cli.lazy", "ssi_wallet.cli.main",
                      "ssi_wallet.cli.output"]


def test_a_group_runs_without_importing_the_others() -> None:
    loaded = _loaded("config", "--help", prefixes=("ssi_wallet.cli.",))
    assert "ssi_wallet.cli.config_cmd" in loaded
    others = [m for m in loaded if m.endswith("_cmd") and m != "ssi_wallet.cli.config_cmd"]
    assert others == []


def test_unknown_command_is_a_usage_error_with_a_suggestion(run_cli) -> None:
    result = run_cli("credentails", "list")
    assert result.returncode == 2
    assert "No such command 'credentails'" in result.stderr
    assert "credentials" in result.stderr.split("No such command", 1)[1]
