"""The facts that the functions, the stack, the local emulation and the tests share, each stated once.

Standard library only: the custom message trigger imports parts of it on its cold-start path, and every function's
bundle carries it. One module per kind of fact:

- ``cognito``: what Amazon Cognito documents (trigger sources, limits, placeholders, e-mail sending modes).
- ``events``: EventBridge sources and detail types, in and out.
- ``client_metadata``: what an administrator's reset hands the CustomMessage trigger, and the rules for it.
- ``results``: the statuses and failure reasons of a reset result (contract 2).
- ``telemetry``: service names, the metrics namespace, metric names and dimensions.
- ``environment``: the environment variables each function reads.
- ``patterns``: identifiers shared by validation on both sides (pool ids, locales, brands, e-mail addresses).
- ``custom_resources``: the custom resource types the stack declares and the attachment function serves.
- ``stack``: the stack's name and the outputs the operator CLI finds its resources by.
- ``bulk``: a bulk run (its id, manifest, input fields, memory, halt and stop, summary).
- ``identifiers``: how a row's username, e-mail or sub names a user in a given pool (docs/identifiers.md).
- ``delivery_events``, ``workflow_errors``: SES's delivery events per run; the workflows' error names.
"""
