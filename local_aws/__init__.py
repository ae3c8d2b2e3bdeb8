"""AWS on this machine, so that the product runs and is tested with no account. Two halves:

- ``emulation/``: AWS as its documents describe it, where moto (on 127.0.0.1) does not play it: one module per
  service behaviour, each naming the document it follows, each with a test that cites it.
- ``harness/``: starting moto, synthesizing the stack and provisioning the local account from its template, the whole
  system switched on (``make demo``, ``make local``, the e2e tests) and the outbox people read.

The emulation never imports the harness, except the server it plays on (``harness.server.LocalAws``).
"""
