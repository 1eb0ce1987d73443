"""Configuration: SMSGATE_* environment variables, then an optional `smsgate.toml`.

This is the only module that reads the environment; everything else receives a `Settings`.
"""

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from smsgate.limits.rules import RateRule, parse_rules


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SMSGATE_", toml_file="smsgate.toml", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in data_dir"
    )
    redis_url: str | None = Field(
        default=None, description="Redis for frequency-limit counters; default: the database"
    )
    redis_prefix: str = "smsgate:limit:"
    secret_key: str | None = Field(
        default=None,
        description="HMAC key for codes; default: generated once into data_dir/secret.key",
    )
    embedded_worker: bool = True
    create_demo: bool = True
    log_level: str = "info"
    log_format: Literal["console", "json"] = "console"

    max_body_bytes: int = 64 * 1024
    auth_cache_seconds: float = 5.0

    code_length: int = 6
    code_max_attempts: int = 5
    voice_code_ttl: int = 60
    code_limits: str = "1/60,5/3600,10/86400"
    voice_code_limits: str = "1/20"
    notification_limits: str = "3/600"
    marketing_limits: str = "3/600"
    marketing_hours: str = "08:00-21:00"
    timezone: str = "Asia/Shanghai"
    unsubscribe_suffix: str = "回TD退订"

    outbox_batch: int = 64
    outbox_poll_seconds: float = 1.0
    outbox_lease_seconds: float = 60.0
    outbox_max_attempts: int = 10
    sandbox_report_delay: float = 0.5

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @field_validator("code_limits", "voice_code_limits", "notification_limits", "marketing_limits")
    @classmethod
    def _rules_parse(cls, value: str) -> str:
        parse_rules(value)
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir.resolve() / 'smsgate.db'}"

    @cached_property
    def rate_rules(self) -> dict[str, tuple[RateRule, ...]]:
        return {
            "code": parse_rules(self.code_limits),
            "voice_code": parse_rules(self.voice_code_limits),
            "notification": parse_rules(self.notification_limits),
            "marketing": parse_rules(self.marketing_limits),
        }
