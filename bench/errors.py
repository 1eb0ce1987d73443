"""The benchmark's one failure: run.py catches it, prints the message and exits 1.

Raised wherever numbers would mislead (a server that does not start, wrk failing, the sandbox
stalling), so no half-measured run is ever reported."""


class BenchError(RuntimeError):
    """A run that cannot produce trustworthy numbers; the message says why."""
