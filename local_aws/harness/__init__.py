"""The harness around the emulation: starting moto on 127.0.0.1 (server.py), synthesizing the stack (synth.py) and
provisioning the local account from its template (provisioning.py, with template.py resolving CloudFormation's
intrinsic functions), the whole system switched on (system.py), `make demo` (demo.py), `make local` (local.py), the
outbox people read (outbox.py) and the pools and users a demo or a test sets up (pool.py)."""
