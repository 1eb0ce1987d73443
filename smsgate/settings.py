"""Configuration: SMSGATE_* environment variables, then an optional `smsgate.toml`.

This is the only module that reads the environment; everything else receives a `Settings`.
"""

import os
from collections.abc import Mapping
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

from smsgate.access.networks import ProxyHeader, parse_networks
from smsgate.limits.rules import RateRule, parse_rules

DEFAULT_CONFIG_FILE = "smsgate.toml"


def environment() -> Mapping[str, str]:
    """The process environment, for `${NAME}` references in the delivery configuration."""
    return os.environ


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMSGATE_", extra="ignore")

    config: Path | None = Field(
        default=None,
        description="The TOML file of settings, providers and routes; default ./smsgate.toml",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in data_dir"
    )
    sqlite_lock_wait_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How long a write waits for another process's SQLite write lock (50019 after)",
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
    # Process topology of `smsgate serve` (smsgate/cli/processes.py): API processes sharing the
    # port, and whether delivery and the other loops run in a process of their own beside them.
    workers: int = Field(default=1, ge=1, description="API processes of smsgate serve")
    separate_delivery: bool = Field(
        default=False,
        description="run delivery in its own process beside the API (always with workers > 1)",
    )
    # Set by `smsgate serve` for the processes it starts: the datagram socket on which API
    # processes wake the delivery process after a send (an internal setting, not for operators).
    wake_socket: Path | None = None
    create_demo: bool = True
    log_level: str = "info"
    # auto: console lines on a terminal, JSON lines otherwise (a service manager, a container,
    # a file), where a collector reads them and where rendering them costs a third as much.
    log_format: Literal["auto", "console", "json"] = "auto"
    access_log: bool = Field(default=True, description="one log line per HTTP request")

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
    # After the first new message or receipt, delivery waits this long for more to join its
    # batch: a pass costs the same few transactions for one message as for sixty-four.
    delivery_gather_seconds: float = Field(default=0.05, ge=0.0, le=5.0)
    sandbox_report_delay: float = 0.5

    # Batch and scheduled SMS (smsgate/messages/batch.py, smsgate/messages/schedules/): bodies
    # of up to 1000 recipients; the zone `send_time` is read in (default: `timezone`); how long a
    # scheduler may hold a due schedule, and how often it looks for ones other processes wrote.
    max_batch_body_bytes: int = 1024 * 1024
    schedule_timezone: str | None = None
    schedule_lease_seconds: float = 60.0
    schedule_poll_seconds: float = 5.0
    schedule_batch: int = 16

    # Idempotent sends (smsgate/idempotency): how long a key's first answer is replayed.
    idempotency_keep_seconds: int = Field(default=86_400, ge=1)
    # Voice fallback of text codes (smsgate/messages/voice_fallback): how often the loop looks
    # for due fallbacks, how many it takes per pass, how long one it claimed stays its own.
    voice_fallback_poll_seconds: float = 1.0
    voice_fallback_batch: int = 32
    voice_fallback_lease_seconds: float = 60.0

    # Voice codes: espeak-ng renders the speech (pieces cached in data_dir/voice-cache).
    espeak_ng: str = "espeak-ng"
    voice_code_repeats: int = Field(default=2, ge=1, le=5)

    # Reports, replies and callbacks (smsgate/reports): GET /v1/report and /v1/reply limits, and
    # the callback outbox (seconds between tries after each failure, then the dead-letter list).
    report_pull_interval_seconds: float = 5.0
    report_pull_max_records: int = 500
    # After a pull's answer is written: how long a quiet, still open connection is watched for
    # a reset before its records count as read (smsgate/connection_watch.py).
    report_pull_grace_seconds: float = Field(default=2.0, ge=0)
    report_keep_seconds: int = 3 * 24 * 3600
    callback_retry_delays: str = Field(
        default="180,3600,43200", description="comma-separated seconds: the retry schedule"
    )
    callback_timeout_seconds: float = 10.0
    callback_batch: int = 32
    callback_poll_seconds: float = 1.0
    callback_lease_seconds: float = 60.0

    # Templates and signatures (smsgate/templates, smsgate/signs): the rule-based review of new
    # templates, and the proof images of signatures (stored under data_dir/sign-images).
    auto_review: bool = Field(
        default=False, description="approve templates that pass every review rule at once"
    )
    sign_image_max_bytes: int = Field(
        default=2 * 1024 * 1024, description="largest proof image a signature may carry"
    )

    # Content policy on sends (smsgate/content): sensitive words (50037); and the client address
    # for the per-app IP allowlist of the access policy (smsgate/access, 50035).
    sensitive_words_file: Path | None = Field(
        default=None, description="extra sensitive words, one per line, '#' for comments"
    )
    sensitive_words_default: bool = Field(
        default=True, description="also use the built-in sensitive-word list"
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated CIDRs of reverse proxies whose proxy header names the client",
    )
    trusted_proxy_header: ProxyHeader = Field(
        default="x-forwarded-for",
        description="the header the trusted proxies write: x-forwarded-for, forwarded, x-real-ip",
    )

    # Metrics and health (smsgate/observability): /metrics, /healthz and /readyz on a port of
    # their own (default: 9464 for serve, 9465 for worker; 0 turns it off), how often gauges are
    # read from the database, when a loop counts as stuck, and how long a stop may take.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_refresh_seconds: float = 5.0
    loop_stuck_seconds: float = 120.0
    schedule_late_seconds: float = 60.0
    stop_timeout_seconds: float = 30.0

    # Pumping defence and spend caps (smsgate/fraud): the mode of apps that chose none, the
    # countries they may send to, and the range rules on codes (README "Pumping defence").
    fraud_mode: Literal["off", "shadow", "enforce"] = "shadow"
    fraud_allowed_countries: str = Field(
        default="CN", description="comma-separated ISO regions apps may send to by default"
    )
    fraud_high_risk_file: Path | None = Field(
        default=None, description="extra high-risk ranges (+prefix per line) beside the built-in"
    )
    fraud_range_digits: int = Field(default=7, ge=1, le=12)
    fraud_range_limits: str = Field(
        default="30/600", description="codes per number range (COUNT/SECONDS, attempts)"
    )
    fraud_sequence_seconds: int = Field(default=600, ge=1)
    fraud_sequence_distance: int = Field(default=100, ge=1)
    fraud_sequence_neighbours: int = Field(default=4, ge=1)
    fraud_conversion_seconds: int = Field(default=1800, ge=1)
    fraud_conversion_grace_seconds: int = Field(default=180, ge=0)
    fraud_conversion_bucket_seconds: int = Field(default=60, ge=1)
    fraud_conversion_ratio: float = Field(default=0.2, ge=0.0, le=1.0)
    fraud_conversion_samples_range: int = Field(default=8, ge=1)
    fraud_conversion_samples_country: int = Field(default=50, ge=1)
    fraud_throttled_range_limits: str = "1/300"
    fraud_throttled_country_limits: str = "20/300"
    fraud_keep_seconds: int = Field(default=7 * 24 * 3600, description="how long decisions stay")

    # The operator console (smsgate/console) under /console/ of `smsgate serve`: sessions end
    # after this long without a request, and at the latest after the maximum; failed sign-ins
    # are limited per operator name and per client address (COUNT/SECONDS rules).
    console: bool = Field(default=True, description="serve the operator console at /console/")
    console_secure_cookie: bool = Field(
        default=False,
        description="mark the session cookie Secure (always on for requests that came over HTTPS)",
    )
    console_session_idle_seconds: int = Field(default=1800, ge=60)
    console_session_max_seconds: int = Field(default=12 * 3600, ge=60)
    console_login_limits: str = "5/900"
    console_login_address_limits: str = "20/900"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("SMSGATE_CONFIG") or DEFAULT_CONFIG_FILE
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))

    @field_validator(
        "code_limits",
        "voice_code_limits",
        "notification_limits",
        "marketing_limits",
        "fraud_range_limits",
        "fraud_throttled_range_limits",
        "fraud_throttled_country_limits",
        "console_login_limits",
        "console_login_address_limits",
    )
    @classmethod
    def _rules_parse(cls, value: str) -> str:
        parse_rules(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def delivery_config_path(self) -> Path | None:
        """The file named by SMSGATE_CONFIG, else ./smsgate.toml when it exists."""
        if self.config is not None:
            return self.config
        default = Path(DEFAULT_CONFIG_FILE)
        return default if default.is_file() else None

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
