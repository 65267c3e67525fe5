"""Operator configuration: flags win over `WORKSPACED_*` environment variables."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workspaced.auth.oidc import ConsoleClient, IssuerConfig, parse_issuers
from workspaced.http.rate_limits import (
    DEFAULT_PER_ADDRESS,
    DEFAULT_PER_CREDENTIAL,
    DEFAULT_WINDOW_S,
    RateLimitSettings,
)
from workspaced.http.server import DEFAULT_GRACE_S, MIN_HEADER_BYTES, ServerLimits
from workspaced.mail import DEFAULT_MAIL_FROM, DEFAULT_SMTP_URL, MailSettings
from workspaced.mail.transport import parse_smtp_url
from workspaced.observability.tracing import MISSING_EXTRA, extra_installed
from workspaced.organization.lifecycle import OrganizationCreation
from workspaced.retention.purge import RetentionSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKSPACED_", extra="ignore")

    database_url: str = "sqlite:///./workspaced.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # Request bodies above this answer 413 in the dialect's format.
    max_body_bytes: int = 1024 * 1024
    # SPEC §6 bounded requests: a request line and headers above this many bytes answer
    # 431; a connection that has not sent a whole request head within this many seconds
    # (a new one, or an idle keep-alive one) is closed.
    max_header_bytes: int = Field(default=16 * 1024, ge=MIN_HEADER_BYTES, le=1024 * 1024)
    header_timeout: float = Field(default=10.0, gt=0, le=3600)
    # SPEC §6: a request's transaction stops (503 with Retry-After) once its work takes
    # longer than this many seconds; 0 turns the limit off.
    statement_timeout: float = Field(default=10.0, ge=0, le=3600)
    # SPEC §6: requests per window per credential, and per client address for requests
    # without a valid credential; 0 turns a limit off.
    rate_limit_per_credential: int = Field(default=DEFAULT_PER_CREDENTIAL, ge=0)
    rate_limit_per_address: int = Field(default=DEFAULT_PER_ADDRESS, ge=0)
    rate_limit_window: int = Field(default=DEFAULT_WINDOW_S, ge=1, le=86400)
    # SPEC §3.1: where invitation mail goes (`log:` writes it to the server log), whom it
    # is from, and the base URL of the links in it (default http://{host}:{port}).
    # SPEC §4.1: `users` lets any signed-in user create organizations over the API (and
    # own them); `operator` leaves it to the CLI.
    organization_creation: OrganizationCreation = OrganizationCreation.users
    # SPEC §9: browser origins allowed to call the API (comma-separated, exact
    # `scheme://host[:port]`); none by default.
    cors_origins: str = ""
    smtp_url: str = DEFAULT_SMTP_URL
    mail_from: str = DEFAULT_MAIL_FROM
    public_url: str | None = None
    # SPEC §3: the product's identity provider (docs/identity.md); several issuers
    # separated by spaces, with one audience for all or one each.
    # SPEC §7: webhook endpoints may point at private, loopback and link-local addresses.
    webhook_allow_private: bool = False
    # Seconds a delivery worker's claim on an endpoint lasts: after a crash the endpoint's
    # queue resumes on another process or replica once it runs out.
    webhook_lease: float = Field(default=60.0, ge=1, le=3600)
    oidc_issuer: str = ""
    oidc_audience: str = ""
    # docs/console.md: the console signs people in through the (first) issuer above as
    # this OAuth client (authorization code with PKCE); the secret is optional (without
    # it the console is a public client and PKCE alone binds the code).
    console_oidc_client_id: str = ""
    console_oidc_client_secret: str = Field(default="", repr=False)
    # SPEC §9 observability (docs/operations.md): log lines as `text`, or as `json` (one
    # object per line, plus a line per request); GET /metrics on or off, and the bearer
    # token a scrape must send (empty: open, it shows aggregate figures only). Traces are
    # on when OTEL_EXPORTER_OTLP_ENDPOINT is set (OpenTelemetry's own OTEL_* variables).
    log_format: Literal["text", "json"] = "text"
    metrics: bool = True
    metrics_token: str = Field(default="", repr=False)
    otel_exporter_otlp_endpoint: str = Field(
        default="", validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    # SPEC §9 retention: `serve` purges what is past retention every this many seconds
    # (one process of the deployment at a time; 0 turns it off, for `workspaced purge`
    # from cron instead); audit events are kept this many days (0: forever).
    purge_interval: int = Field(default=3600, ge=0, le=7 * 86400)
    # SPEC §9 shutdown: on SIGTERM `serve` stops accepting connections, and gives requests
    # in flight (and webhook attempts) this many seconds to finish before it stops them.
    shutdown_grace: int = Field(default=DEFAULT_GRACE_S, ge=1, le=3600)
    audit_retention_days: int = Field(default=0, ge=0, le=36500)

    @model_validator(mode="after")
    def _tracing_installed(self) -> Settings:
        if self.otel_exporter_otlp_endpoint and not extra_installed():
            raise ValueError(MISSING_EXTRA)
        return self

    @model_validator(mode="after")
    def _oidc_pairs(self) -> Settings:
        parse_issuers(self.oidc_issuer, self.oidc_audience)  # its ValueError says what
        return self

    @model_validator(mode="after")
    def _console_client(self) -> Settings:
        client_id, secret = self.console_oidc_client_id, self.console_oidc_client_secret
        if secret and not client_id:
            raise ValueError(
                "WORKSPACED_CONSOLE_OIDC_CLIENT_SECRET is set without "
                "WORKSPACED_CONSOLE_OIDC_CLIENT_ID"
            )
        if client_id and not self.oidc_issuer.split():
            raise ValueError(
                "WORKSPACED_CONSOLE_OIDC_CLIENT_ID is set without WORKSPACED_OIDC_ISSUER"
            )
        if client_id and (len(client_id) > 255 or not client_id.isprintable() or " " in client_id):
            raise ValueError("WORKSPACED_CONSOLE_OIDC_CLIENT_ID must be one printable word")
        return self

    def oidc_issuers(self) -> tuple[IssuerConfig, ...]:
        return parse_issuers(self.oidc_issuer, self.oidc_audience)

    def console_oidc(self) -> ConsoleClient | None:
        """The console's client at the first configured issuer, if one is configured."""
        if not self.console_oidc_client_id:
            return None
        return ConsoleClient(
            issuer=self.oidc_issuers()[0].issuer,
            client_id=self.console_oidc_client_id,
            client_secret=self.console_oidc_client_secret or None,
        )

    @field_validator("smtp_url")
    @classmethod
    def _known_transport(cls, value: str) -> str:
        parse_smtp_url(value)  # its ValueError names what is wrong
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("must be an absolute http(s) URL, e.g. https://workspaces.example.com")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",") if o.strip()):
            if origin == "*":
                raise ValueError("list the origins: '*' would let any web page call the API")
            if not re.fullmatch(r"https?://[^\s/?#]+", origin):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
        return value

    def retention(self) -> RetentionSettings:
        kept = self.audit_retention_days
        return RetentionSettings(audit_kept=timedelta(days=kept) if kept else None)

    def cors_origin_list(self) -> tuple[str, ...]:
        return tuple(o.strip() for o in self.cors_origins.split(",") if o.strip())

    def server_limits(self) -> ServerLimits:
        return ServerLimits(self.max_header_bytes, self.header_timeout)

    def rate_limits(self) -> RateLimitSettings:
        return RateLimitSettings(
            self.rate_limit_per_credential, self.rate_limit_per_address, self.rate_limit_window
        )

    def mail(self) -> MailSettings:
        public_url = self.public_url or f"http://{self.host}:{self.port}"
        return MailSettings(self.smtp_url, self.mail_from, public_url.rstrip("/"))
