"""Settings read from the environment (SPEC §10), one definition for every service: the
desk's own (ports, servers, namespace, timeouts) and, composed into them, one group per
concern (`settings.smtp`, `.inbound`, `.sms`, `.blobs`, `.gateway`, `.incidents`,
`.notify`). Every setting keeps its flat name: DESK_SMTP_PORT sets `settings.smtp.port`,
and DeskSettings(smtp_port=25) or `settings.replaced(smtp_port=25)` does the same."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .local_time import zone_named

# DESK_POSTGRES_URL_<SERVICE> (e.g. DESK_POSTGRES_URL_PORTAL_GATEWAY) puts one service on a
# server of its own; the others keep DESK_POSTGRES_URL.
SERVICE_URL_PREFIX = "DESK_POSTGRES_URL_"


def service_url_variable(service: str) -> str:
    """The variable that overrides DESK_POSTGRES_URL for one service."""
    return SERVICE_URL_PREFIX + service.upper().replace("-", "_")


def service_postgres_urls(environ: Mapping[str, str]) -> dict[str, str]:
    """Per-service PostgreSQL URLs named in the environment, by service name."""
    found: dict[str, str] = {}
    for key, value in environ.items():
        name = key.upper()
        if name.startswith(SERVICE_URL_PREFIX) and len(name) > len(SERVICE_URL_PREFIX):
            found[name[len(SERVICE_URL_PREFIX) :].lower().replace("_", "-")] = value
    return found


def with_database(url: str, database: str) -> str:
    """The server URL `url` naming `database` (its query, e.g. sslmode, kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def broker_urls(value: str) -> list[str]:
    """The broker URLs of DESK_AMQP_URL (comma-separated, e.g. a cluster's nodes), in the
    order a connection tries them."""
    urls = [part.strip() for part in value.split(",") if part.strip()]
    if not urls:
        raise ValueError("amqp_url: at least one amqp:// or amqps:// URL is needed")
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
            raise ValueError(f"amqp_url: {url!r} is not an amqp:// or amqps:// URL with a host")
    return urls


class _Group(BaseModel):
    """A group of settings. Each field keeps its flat name as its alias: that name is the
    environment variable without DESK_ (smtp.port is DESK_SMTP_PORT) and the keyword a
    desk's settings are built with (DeskSettings(smtp_port=25))."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)


class SmtpSettings(_Group):
    """Outgoing e-mail (notify's deliveries)."""

    host: str = Field(default="127.0.0.1", alias="smtp_host")
    # Unless given: DESK_HTTP_PORT + 25 (8105 for the default desk), where `make run`'s
    # demo mail sink listens, so a second desk on another port block has a sink of its own.
    port: int = Field(default=8105, ge=1, le=65535, alias="smtp_port")
    user: str | None = Field(default=None, alias="smtp_user")
    password: str | None = Field(default=None, alias="smtp_password")
    starttls: bool = Field(default=False, alias="smtp_starttls")
    mail_from: str = Field(default="Service Desk <desk@localhost>", alias="mail_from")


class InboundMailSettings(_Group):
    """The e-mail channel (SPEC §14): the address clients write to (notifications carry it
    as Reply-To when set), and the gateway's SMTP/LMTP listener that takes their mail;
    unless given, its port is DESK_HTTP_PORT + 20 (8100 for the default desk); 0: off."""

    address: str | None = Field(default=None, alias="inbound_address")
    smtp_host: str = Field(default="127.0.0.1", alias="inbound_smtp_host")
    smtp_port: int = Field(default=8100, ge=0, le=65535, alias="inbound_smtp_port")
    lmtp: bool = Field(default=False, alias="inbound_lmtp")
    # Mail from one address within an hour beyond this is deferred (451: sent again later).
    per_sender_hourly: int = Field(default=60, ge=1, alias="inbound_per_sender_hourly")
    # Optionally, a mailbox polled for mail (imap://host[:port] or imaps://…): each mail is
    # taken as the listener takes one, then moved to imap_done_folder.
    imap_url: str | None = Field(
        default=None, pattern=r"^imaps?://[^/:]+(:\d{1,5})?/?$", alias="imap_url"
    )
    imap_user: str | None = Field(default=None, alias="imap_user")
    imap_password: str | None = Field(default=None, alias="imap_password")
    imap_folder: str = Field(default="INBOX", alias="imap_folder")
    imap_done_folder: str = Field(default="Processed", alias="imap_done_folder")
    imap_poll_seconds: float = Field(default=30.0, gt=0, alias="imap_poll_seconds")


class SmsSettings(_Group):
    """The SMS provider; without a URL, SMS is off."""

    url: str | None = Field(default=None, alias="sms_url")
    token: str | None = Field(default=None, alias="sms_token")


class BlobSettings(_Group):
    """Attachments: files under `dir`, or objects in an S3-compatible bucket when `url` is
    s3://bucket[/prefix] (`dir` then only holds uploads in progress). Without an access
    key the S3 client's own chain applies (AWS_* variables, a role)."""

    dir: Path = Field(default=Path("./var/blobs"), alias="blob_dir")
    url: str | None = Field(
        default=None, pattern=r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$", alias="blob_url"
    )
    s3_endpoint_url: str | None = Field(default=None, alias="s3_endpoint_url")
    s3_region: str = Field(default="us-east-1", alias="s3_region")
    s3_access_key_id: str | None = Field(default=None, alias="s3_access_key_id")
    s3_secret_access_key: str | None = Field(default=None, alias="s3_secret_access_key")
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        default="auto", alias="s3_addressing_style"
    )
    # The size limit of one uploaded file (the portal, the API and mail alike).
    max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1, alias="max_upload_bytes")


class GatewaySettings(_Group):
    """Web sessions, login throttling (failures per window, per account and per address)
    and password reset links."""

    session_idle_minutes: float = Field(default=30.0, gt=0, alias="session_idle_minutes")
    session_absolute_hours: float = Field(default=12.0, gt=0, alias="session_absolute_hours")
    login_max_failures: int = Field(default=5, ge=1, alias="login_max_failures")
    login_window_seconds: float = Field(default=300.0, gt=0, alias="login_window_seconds")
    # Password reset by e-mail link: its lifetime, and how many links may be asked per
    # window for one login or e-mail, and from one address.
    password_reset_minutes: float = Field(default=60.0, gt=0, alias="password_reset_minutes")
    password_reset_max_requests: int = Field(default=3, ge=1, alias="password_reset_max_requests")
    password_reset_max_per_address: int = Field(
        default=20, ge=1, alias="password_reset_max_per_address"
    )
    password_reset_window_seconds: float = Field(
        default=900.0, gt=0, alias="password_reset_window_seconds"
    )
    # Behind TLS (or a TLS-terminating proxy): __Host- cookies with Secure.
    secure_cookies: bool = Field(default=False, alias="secure_cookies")


class IncidentSettings(_Group):
    """Resolved incidents close themselves after `auto_close_days`; a client may reopen
    within `reopen_window_days` (fractions allowed so tests can use seconds)."""

    auto_close_days: float = Field(default=7.0, ge=0, alias="auto_close_days")
    reopen_window_days: float = Field(default=14.0, ge=0, alias="reopen_window_days")


class NotifySettings(_Group):
    """Notifications: first retry delay (doubled per attempt, with jitter), attempts before
    a delivery is failed and dead-lettered, and a folder of operators' template overrides."""

    retry_base_seconds: float = Field(default=30.0, gt=0, alias="notify_retry_base_seconds")
    max_attempts: int = Field(default=8, ge=1, le=50, alias="notify_max_attempts")
    template_dir: Path | None = Field(default=None, alias="template_dir")
    # Changes on one incident for one recipient within this many seconds of each other
    # make one message (public replies, files added one by one); 0 sends one each.
    group_seconds: float = Field(default=5.0, ge=0, alias="notify_group_seconds")


# The groups of the desk's settings, by the field that holds each.
GROUPS: dict[str, type[_Group]] = {
    "smtp": SmtpSettings,
    "inbound": InboundMailSettings,
    "sms": SmsSettings,
    "blobs": BlobSettings,
    "gateway": GatewaySettings,
    "incidents": IncidentSettings,
    "notify": NotifySettings,
}
# Flat name (the variable without DESK_) → (group, field).
GROUPED: dict[str, tuple[str, str]] = {
    str(info.alias): (group, name)
    for group, model in GROUPS.items()
    for name, info in model.model_fields.items()
}


def _grouped(data: dict[Any, Any]) -> dict[Any, Any]:
    """Flat names (from the environment or given) moved into their groups."""
    grouped: dict[Any, Any] = {}
    groups: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        place = GROUPED.get(key.lower()) if isinstance(key, str) else None
        if place is None:
            grouped[key] = value
        else:
            # By the flat name, so an error names the setting as it is configured.
            groups.setdefault(place[0], {})[key.lower()] = value
    for group, values in groups.items():
        given = grouped.get(group)
        if isinstance(given, BaseModel):
            given = given.model_dump(by_alias=True)
        grouped[group] = {**(given or {}), **values}
    return grouped


class _FlatEnvironment(PydanticBaseSettingsSource):
    """DESK_<NAME> for every setting, grouped or not, by its flat name."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is read at once in __call__

    def __call__(self) -> dict[str, Any]:
        environ = {key.upper(): value for key, value in os.environ.items()}
        names = (set(self.settings_cls.model_fields) - set(GROUPS)) | set(GROUPED)
        return {
            name: environ[f"DESK_{name.upper()}"]
            for name in names
            if f"DESK_{name.upper()}" in environ
        }


class DeskSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESK_", extra="ignore", frozen=True)

    http_port: int = Field(default=8080, ge=1, le=65535)
    # Services other than the gateway serve health and metrics on ports after it.
    http_host: str = "127.0.0.1"
    # A second instance of a service needs a health port of its own (gateway excluded).
    health_port: int | None = Field(default=None, ge=1, le=65535)
    # The address mails link to; unless given, http://DESK_HTTP_HOST:DESK_HTTP_PORT.
    portal_url: str = "http://127.0.0.1:8080"
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432"
    # Per-service overrides of postgres_url (from DESK_POSTGRES_URL_<SERVICE>). A URL that
    # names a database (a managed server's own, e.g. /app) is used as it is; otherwise the
    # service's database is <namespace>_<service> on that server.
    postgres_urls: dict[str, str] = Field(default_factory=dict)
    # One broker URL, or several separated by commas (tried in order, failed over on loss).
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    # RabbitMQ management API (e.g. http://guest:guest@127.0.0.1:15672) for queue rates.
    rabbitmq_management_url: str | None = None
    namespace: str = Field(default="desk", pattern=r"^[a-z][a-z0-9_]{0,30}$")
    admin_password: str | None = None
    demo: bool = False
    # With `demo`: the month of past incidents and agents' shifts too (seeded once).
    demo_month: bool = True
    # The zone times are shown in to people who chose none and whose organization's
    # calendar names none (an IANA name, e.g. Europe/Moscow).
    time_zone: str = "UTC"
    # How long the gateway waits for another service's answer before a 503.
    rpc_timeout_seconds: float = Field(default=5.0, gt=0)
    # How long a service keeps retrying PostgreSQL and RabbitMQ at start before giving up.
    connect_timeout_seconds: float = Field(default=60.0, gt=0)
    prefetch: int = Field(default=32, ge=1, le=10_000)
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")

    smtp: SmtpSettings = SmtpSettings()
    inbound: InboundMailSettings = InboundMailSettings()
    sms: SmsSettings = SmsSettings()
    blobs: BlobSettings = BlobSettings()
    gateway: GatewaySettings = GatewaySettings()
    incidents: IncidentSettings = IncidentSettings()
    notify: NotifySettings = NotifySettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _FlatEnvironment(settings_cls))

    @classmethod
    def names(cls) -> list[str]:
        """Every setting by its flat name (the DESK_* variable without DESK_)."""
        return [n for n in cls.model_fields if n not in GROUPS] + list(GROUPED)

    def flat(self) -> dict[str, Any]:
        """Every setting by its flat name, as DeskSettings(**flat) takes them back."""
        values = {n: getattr(self, n) for n in type(self).model_fields if n not in GROUPS}
        for name, (group, field) in GROUPED.items():
            values[name] = getattr(getattr(self, group), field)
        return values

    def replaced(self, **changes: Any) -> DeskSettings:
        """These settings with some changed, by flat name (smtp_port=…)."""
        unknown = set(changes) - set(self.names())
        if unknown:
            raise ValueError(f"no such settings: {sorted(unknown)}")
        return type(self)(**(self.flat() | changes))

    @model_validator(mode="before")
    @classmethod
    def _from_the_port_block(cls, data: Any) -> Any:
        """What is not given follows the HTTP port: the portal's address, the demo sink;
        then every flat name goes into its group."""
        if not isinstance(data, dict):
            return data
        given = {key.lower() for key in data}
        for group, model in GROUPS.items():
            if isinstance(data.get(group), model):  # a whole group given
                given |= {str(info.alias) for info in model.model_fields.values()}
        host = data.get("http_host", data.get("HTTP_HOST", "127.0.0.1"))
        raw: Any = data.get("http_port", data.get("HTTP_PORT", 8080))
        try:
            port = int(raw)
        except (TypeError, ValueError):
            return _grouped(data)  # the field's own validation names the error
        filled = dict(data)
        if "portal_url" not in given:
            filled["portal_url"] = f"http://{host}:{port}"
        if "smtp_port" not in given and port + 25 <= 65535:
            filled["smtp_port"] = port + 25
        if "inbound_smtp_port" not in given and port + 20 <= 65535:
            filled["inbound_smtp_port"] = port + 20
        return _grouped(filled)

    @model_validator(mode="before")
    @classmethod
    def _service_urls_from_environment(cls, data: Any) -> Any:
        if isinstance(data, dict) and "postgres_urls" not in data:
            found = service_postgres_urls(os.environ)
            if found:
                data = {**data, "postgres_urls": found}
        return data

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if zone_named(value) is None:
            raise ValueError(f"DESK_TIME_ZONE: {value!r} is not an IANA time zone")
        return value

    @field_validator("postgres_url")
    @classmethod
    def _no_database_in_url(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("amqp_url")
    @classmethod
    def _broker_list(cls, value: str) -> str:
        return ",".join(broker_urls(value))

    @property
    def amqp_urls(self) -> list[str]:
        return broker_urls(self.amqp_url)

    @field_validator("postgres_urls")
    @classmethod
    def _known_services(cls, value: dict[str, str]) -> dict[str, str]:
        from desk_contracts.topology import SERVICES

        unknown = sorted(set(value) - set(SERVICES))
        if unknown:
            names = ", ".join(service_url_variable(s) for s in unknown)
            raise ValueError(f"{names}: no such service (known: {', '.join(SERVICES)})")
        return {service: url.rstrip("/") for service, url in value.items()}

    def server_url(self, service: str) -> str:
        """The PostgreSQL server of one service, as configured (maybe with a database)."""
        return self.postgres_urls.get(service, self.postgres_url)

    def database_given(self, service: str) -> bool:
        """True when the service's URL names its database (a managed server's own)."""
        return bool(urlsplit(self.postgres_urls.get(service, "")).path.strip("/"))

    def database_name(self, service: str) -> str:
        named = urlsplit(self.postgres_urls.get(service, "")).path.strip("/")
        return named or f"{self.namespace}_{service.replace('-', '_')}"

    def database_url(self, service: str) -> str:
        return with_database(self.server_url(service), self.database_name(service))

    def maintenance_url_for(self, service: str) -> str:
        """A database that always exists on the service's server, to create and drop its own."""
        return with_database(self.server_url(service), "postgres")

    @cached_property
    def maintenance_url(self) -> str:
        """A database that always exists on the shared server."""
        return with_database(self.postgres_url, "postgres")

    def service_port(self, service: str) -> int:
        """Health/metrics port: the gateway's port, then one each in SERVICES order."""
        from desk_contracts.topology import SERVICES

        if service == "portal-gateway":
            return self.http_port
        if self.health_port is not None:
            return self.health_port
        return self.http_port + 1 + SERVICES.index(service)
