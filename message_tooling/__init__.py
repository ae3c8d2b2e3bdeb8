"""Build tooling for the CustomMessage trigger's messages, outside the function's folder because the bundle does not
ship it: a deployer's message pack merged over the built-in messages and checked (message_pack.py, which synth, the
CLI's preview and the local system use), the gallery of every message (preview.py, `make preview`), and the catalog of
reasons, brands and locales the stack publishes for the CLI (catalog.py)."""
