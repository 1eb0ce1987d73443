"""The delivery configuration: providers and routes from the TOML file named by SMSGATE_CONFIG.

    [[providers]]
    name = "carrier-a"
    type = "smpp"
    password = "${CARRIER_A_PASSWORD}"   # any string value may name an environment variable

    [[routes]]
    match = "+86"                # "*", a prefix such as "+8613", or a country such as "CN"
    providers = ["carrier-a", "carrier-b"]   # failover order
    weights = [3, 1]             # optional: share of first tries

With no `[[providers]]`, smsgate delivers to its sandbox. A file that does not validate stops
smsgate at start with a message naming the table and key at fault.
"""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from smsgate.delivery.providers.base import ProviderConfig
from smsgate.delivery.providers.registry import PROVIDER_TYPES, provider_type
from smsgate.settings import Settings, environment

_ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
M = TypeVar("M", bound=BaseModel)
_PREFIX = re.compile(r"^\*$|^\+[0-9]{1,15}$|^[A-Z]{2}$")


class InvalidDeliveryConfig(ValueError):
    """The delivery configuration cannot be used; the message says where and why."""


class RouteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = "*"
    providers: tuple[str, ...] = Field(min_length=1)
    weights: tuple[int, ...] | None = None
    channel: Literal["sms", "voice"] | None = None  # None: both

    @model_validator(mode="after")
    def _check(self) -> "RouteConfig":
        if not _PREFIX.match(self.match):
            raise ValueError('match must be "*", a "+" and digits, or a two-letter country code')
        if self.weights is not None:
            if len(self.weights) != len(self.providers):
                raise ValueError("weights needs one number for each provider")
            if any(weight < 0 for weight in self.weights) or not any(self.weights):
                raise ValueError("weights must be zero or more, and not all zero")
        return self


class BreakerConfig(BaseModel):
    """When a provider is taken out of routing, and for how long."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    failures: int = Field(default=5, ge=1)  # consecutive transport failures that open it
    open_seconds: float = Field(default=30.0, gt=0)  # first pause; doubles while it keeps failing
    max_open_seconds: float = Field(default=600.0, gt=0)
    submit_timeout: float = Field(default=30.0, gt=0)  # a submit that takes longer is a failure


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    providers: dict[str, ProviderConfig]
    routes: tuple[RouteConfig, ...]
    breaker: BreakerConfig
    source: Path | None  # None: no file, the built-in sandbox

    @property
    def is_sandbox_only(self) -> bool:
        return self.source is None or not self.providers


def load_delivery_config(settings: Settings) -> DeliveryConfig:
    """Read and validate the file `settings.delivery_config_path` names, if any."""
    path = settings.delivery_config_path
    if path is None:
        return DeliveryConfig({}, (), BreakerConfig(), None)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidDeliveryConfig(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidDeliveryConfig(f"{path}: not valid TOML: {error}") from None
    return parse_delivery_config(document, path, environment())


def parse_delivery_config(
    document: Mapping[str, Any], source: Path, env: Mapping[str, str]
) -> DeliveryConfig:
    """The configuration in a parsed TOML document; settings keys beside it are ignored here."""
    providers = _parse_providers(document.get("providers", []), source, env)
    routes = _parse_routes(document.get("routes", []), source, providers)
    breaker = _validated(BreakerConfig, document.get("breaker", {}), f"{source}: [breaker]")
    if providers and not routes:
        routes = (RouteConfig(providers=tuple(providers)),)
    return DeliveryConfig(providers, routes, breaker, source)


def _parse_providers(
    tables: Any, source: Path, env: Mapping[str, str]
) -> dict[str, ProviderConfig]:
    if not isinstance(tables, list):
        raise InvalidDeliveryConfig(f"{source}: providers must be [[providers]] tables")
    providers: dict[str, ProviderConfig] = {}
    for index, table in enumerate(tables):
        where = f"{source}: providers[{index}]"
        if not isinstance(table, dict):
            raise InvalidDeliveryConfig(f"{where}: must be a table")
        kind = table.get("type")
        if kind not in PROVIDER_TYPES:
            known = ", ".join(sorted(PROVIDER_TYPES))
            raise InvalidDeliveryConfig(f"{where}: type must be one of {known}, not {kind!r}")
        name = table.get("name")
        where = f"{where} ({name})" if isinstance(name, str) else where
        config = _validated(provider_type(kind).config, _resolve_env(table, env, where), where)
        if config.name in providers:
            raise InvalidDeliveryConfig(f"{where}: a provider named {config.name!r} exists")
        providers[config.name] = config
    return providers


def _parse_routes(
    tables: Any, source: Path, providers: Mapping[str, ProviderConfig]
) -> tuple[RouteConfig, ...]:
    if not isinstance(tables, list):
        raise InvalidDeliveryConfig(f"{source}: routes must be [[routes]] tables")
    routes = []
    for index, table in enumerate(tables):
        where = f"{source}: routes[{index}]"
        route = _validated(RouteConfig, table, where)
        for name in route.providers:
            if name not in providers:
                raise InvalidDeliveryConfig(f"{where}: no provider is named {name!r}")
        routes.append(route)
    return tuple(routes)


def _resolve_env(table: dict[str, Any], env: Mapping[str, str], where: str) -> dict[str, Any]:
    """`"${NAME}"` values come from the environment, so secrets can stay out of the file."""
    resolved = {}
    for key, value in table.items():
        reference = _ENV_REFERENCE.match(value) if isinstance(value, str) else None
        if reference is not None:
            if reference.group(1) not in env:
                raise InvalidDeliveryConfig(
                    f"{where}: {key} names ${{{reference.group(1)}}}, which is not set"
                )
            value = env[reference.group(1)]
        resolved[key] = value
    return resolved


def _validated(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'table'}: {e['msg']}" for e in error.errors()
        )
        raise InvalidDeliveryConfig(f"{where}: {problems}") from None
