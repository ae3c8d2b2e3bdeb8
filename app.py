#!/usr/bin/env python3
"""CDK app entry: `npx cdk synth` / `npx cdk deploy` run this. Settings come from cdk.json context and `-c` flags."""

from __future__ import annotations

import sys

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
