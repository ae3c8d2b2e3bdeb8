"""The proof harness of "Exactly once, under faults": the reset function behind a fault-injecting proxy."""
