"""Every command keeps the CLI's contract: `--json`, and help text with an example."""

from __future__ import annotations

from typer.main import get_command

from ssi_wallet.cli.app import app


def _commands(group, path=()):
    for name, command in getattr(group, "commands", {}).items():
        if getattr(command, "commands", None) is not None and command.commands:
            yield from _commands(command, (*path, name))
            if getattr(command, "invoke_without_command", False):
                yield (*path, name), command
        else:
            yield (*path, name), command


def test_every_command_accepts_json_and_has_an_example() -> None:
    root = get_command(app)
    seen = list(_commands(root))
    assert len(seen) > 40
    missing_json = [" ".join(p) for p, c in seen
                    if not any("--json" in getattr(o, "opts", ()) for o in c.params)]
    assert missing_json == []
    no_example = [" ".join(p) for p, c in seen if "Example" not in (c.help or "")]
    assert no_example == []


def test_help_of_every_command_renders(run_cli) -> None:
    root = get_command(app)
    for path, _command in list(_commands(root))[:8]:
        result = run_cli(*path, "--help")
        assert result.returncode == 0, path
        assert "Usage" in result.stdout

