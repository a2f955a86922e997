"""A root command group that imports and builds a command only when it is run.

Typer builds every command of every group (signatures, type hints) before it parses
anything; for about 50 commands that cost more than the rest of `ssi-wallet --help`.
Here the root lists its commands from a small table (name, module, short help) and
builds just the one invoked, so each command pays only for itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass

from typer import _click
from typer.core import TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo


@dataclass(frozen=True)
class Entry:
    """One root command: `module:attribute` is a typer app (a group) or a function."""

    target: str
    help: str

    def build(self, name: str) -> _click.Command:
        module_name, attribute = self.target.split(":")
        obj = getattr(importlib.import_module(module_name), attribute)
        if callable(obj) and not hasattr(obj, "registered_commands"):
            return get_command_from_info(
                CommandInfo(name=name, callback=obj),
                pretty_exceptions_short=True,
                rich_markup_mode=None,
            )
        return get_group_from_info(
            TyperInfo(obj, name=name),
            pretty_exceptions_short=True,
            rich_markup_mode=None,
            suggest_commands=True,
        )


class LazyCommands(MutableMapping[str, _click.Command]):
    """The root's commands: every name is listed, a command is built on first use."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self._entries = entries
        self._built: dict[str, _click.Command] = {}

    def __getitem__(self, name: str) -> _click.Command:
        if name not in self._built:
            if name not in self._entries:
                raise KeyError(name)
            self._built[name] = self._entries[name].build(name)
        return self._built[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._built.pop(name, None)
        self._entries.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._entries
        yield from (name for name in self._built if name not in self._entries)

    def __len__(self) -> int:
        return len(set(self._entries) | set(self._built))

    def short_help(self, name: str) -> str:
        """The listed help, without building the command."""
        entry = self._entries.get(name)
        return entry.help if entry else self[name].get_short_help_str()


class LazyGroup(TyperGroup):
    """A typer group whose commands come from `ENTRIES` (see `ssi_wallet.cli.app`)."""

    entries: dict[str, Entry] = {}

    def __init__(self, **attrs: object) -> None:
        super().__init__(**attrs)  # type: ignore[arg-type]
        eager = dict(self.commands)
        self.commands = LazyCommands(dict(self.entries))
        self.commands.update(eager)

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(self.commands)  # names only: listing builds nothing

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """The command list from the table: `--help` builds no command."""
        commands: LazyCommands = self.commands  # type: ignore[assignment]
        names = list(self.list_commands(ctx))
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, _shorten(commands.short_help(name), limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _shorten(text: str, limit: int) -> str:
    """Click's rule for short help: cut at a word boundary and end with '...'."""
    return _click.utils.make_default_short_help(text, limit)
