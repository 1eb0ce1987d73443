"""SMPP binds as this process holds them, for the delivery page: read from the provider objects
the delivery worker runs (as the live metrics do), so only a process that delivers has them."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class _Bind(Protocol):
    label: str
    ready: Any  # an asyncio.Event: set while bound
    link: Any  # smsgate.delivery.providers.link.Link
    times_bound: int
    answered: int
    lost: int

    @property
    def window_size(self) -> int: ...

    @property
    def window_in_use(self) -> int: ...

    def held(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class BindView:
    label: str
    state: str  # up, down, connecting
    since: int
    error: str | None
    bound: bool
    held: bool  # the SMSC asked it to slow down
    window_in_use: int
    window_size: int
    times_bound: int
    answered: int
    lost: int


@dataclass(frozen=True, slots=True)
class ProviderBinds:
    provider: str
    binds: list[BindView] | None  # None: the provider is not run by this process


def smpp_binds(provider: object | None, configured: Sequence[str]) -> list[ProviderBinds]:
    """Each configured SMPP provider with its binds, or None for one this process does not run
    (delivery runs in another process, or not at all)."""
    held = _held_binds(provider)
    return [
        ProviderBinds(name, [_view(b) for b in held[name]] if name in held else None)
        for name in configured
    ]


def _held_binds(provider: object | None) -> dict[str, list[_Bind]]:
    """The router's providers (or the one provider) that hold binds."""
    if provider is None:
        return {}
    providers = getattr(provider, "providers", None) or {getattr(provider, "name", ""): provider}
    return {name: list(p.binds) for name, p in providers.items() if hasattr(p, "binds")}


def _view(bind: _Bind) -> BindView:
    link = bind.link.current
    return BindView(
        bind.label,
        link.state,
        link.since,
        link.error,
        bind.ready.is_set(),
        bind.held(),
        bind.window_in_use,
        bind.window_size,
        bind.times_bound,
        bind.answered,
        bind.lost,
    )
