"""The command line as operators type it: the options every command shares (`--json`, `--stack-name`, `--region`,
`--profile`, `--endpoint-url`) are accepted anywhere, before or after the command, as most CLIs accept them
(`cognito-reset status RUN --json`). They are moved before the command before click parses the line; everything
after a `--` is left as it is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from typer import _click
from typer.core import TyperGroup

# The shared options that take a value, and the flags.
VALUED: Final = frozenset({"--stack-name", "--region", "--profile", "--endpoint-url"})
FLAGS: Final = frozenset({"--json"})


def shared_options_first(args: Sequence[str]) -> list[str]:
    """`args` with every shared option (and its value) moved to the front, in the order given."""
    shared: list[str] = []
    rest: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--":
            rest.extend(args[position:])
            break
        name = arg.split("=", 1)[0]
        if arg in FLAGS or (name in VALUED and "=" in arg):
            shared.append(arg)
        elif arg in VALUED and position + 1 < len(args):
            shared.extend(args[position : position + 2])
            position += 1
        else:
            rest.append(arg)
        position += 1
    return shared + rest


class SharedOptionsAnywhere(TyperGroup):
    """The `cognito-reset` group: reads the shared options wherever they are on the line."""

    # typer carries its own click (typer.core._click), whose Context this method is given.
    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, shared_options_first(args))
