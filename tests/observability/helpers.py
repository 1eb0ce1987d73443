"""Reading Prometheus samples in tests: metrics are process-wide, so tests compare before and
after (or use labels only their own app has)."""

import re
from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.samples import Sample


def value(name: str, **labels: str) -> float:
    """A sample's value now; 0 when the series does not exist yet."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """How much samples moved since this object was made."""

    def __init__(self, name: str, **labels: str) -> None:
        self.name, self.labels = name, labels
        self.start = value(name, **labels)

    def __call__(self) -> float:
        return value(self.name, **self.labels) - self.start


def smsgate_samples() -> Iterator[Sample]:
    for family in REGISTRY.collect():
        if family.name.startswith("smsgate_"):
            yield from family.samples


DIGIT_RUN = re.compile(r"\d{6,}")
