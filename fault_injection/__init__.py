"""Faults on the wire, for the tests and the benchmarks alike: a proxy in front of the local AWS endpoint that can
rewrite, withhold or fail each exchange (rewriting_proxy.py), and seeded faults of a service's calls over it
(fault_proxy.py). Never part of a deployment."""
