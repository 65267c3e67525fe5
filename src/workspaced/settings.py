"""Operator configuration: flags win over `WORKSPACED_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKSPACED_", extra="ignore")

    database_url: str = "sqlite:///./workspaced.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    # Request bodies above this answer 413 in the dialect's format.
    max_body_bytes: int = 1024 * 1024
