#!/usr/bin/env python3
"""CDK app entry: `npx cdk synth` / `npx cdk deploy` run this. Settings come from cdk.json context and `-c` flags."""

from __future__ import annotations

import sys

# The stack imports the facts it shares with the functions from their `contracts` package (functions/contracts), which
# each function's bundle carries at its root; `make setup` installs it into .venv (pyproject.toml), whose Python runs
# this app (`make synth`, or `npx cdk` with .venv activated).
from infra.application import build_app
from infra.settings import SettingsError


def main() -> None:
    try:
        app = build_app()
    except SettingsError as error:
        sys.exit(f"error: {error}")
    app.synth()


if __name__ == "__main__":
    main()
