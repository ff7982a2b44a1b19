"""What the API accepts, each field validated once, by the models that also describe it in ``/openapi.json``.

A refused field is a 400 with ``bad_<field>`` and a message that says what to send: a text field longer
than its column holds, or with a control character (:func:`store.db.field_problem`), an agent channel
other than ``auto``, ``left`` or ``right``, a URL that is not http(s), a filter that cannot be read.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from store.audit import Action
from store.db import CallStatus
from store.queries import FIELD_LIMITS, FILTER_PARAMS, field_problem

__all__ = ["AuditQuery", "CallFields", "ListQuery", "RecordingWebhook", "TeamSettings", "bad_request"]

_TOO_LONG = "Longer, or with a control character: 400 bad_<field>, the message giving the limit."
NEEDS = "the webhook needs a recording id and an http(s) recording URL"
AgentChannel = Literal["auto", "left", "right"]


def _text(column: str, description: str = _TOO_LONG, **extra: Any) -> Any:
    """A text field: at most its column's length (``maxLength`` in the schema), checked by :func:`_checked`."""
    return Field(None, description=description, json_schema_extra={"maxLength": FIELD_LIMITS[column], **extra})


def _refuse(code: str, message: str) -> PydanticCustomError:
    """A refused field: its error type is the API's code (``bad_<field>``), its message what to send."""
    return PydanticCustomError(code, message.replace("{", "{{").replace("}", "}}"))


def _checked(column: str, shown: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _refuse(f"bad_{shown}", f"{shown} must be a string")
    if problem := field_problem(column, value):
        raise _refuse(f"bad_{shown}", problem.replace(column, shown, 1))
    return value


class _Fields(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    agent_id: str | None = _text("agent_id")
    customer_ref: str | None = _text(
        "customer_ref",
        "Your reference of the customer (an account or CRM id): DELETE /v1/calls?customer_ref= deletes their calls.",
    )
    agent_channel: AgentChannel | None = Field(
        None, description="Stereo: the agent's channel; auto (the default) finds it from what each channel says."
    )
    language: str | None = _text("language")
    callback_url: str | None = _text(
        "callback_url",
        "Public http(s) URL POSTed to when the call ends; loopback, private, link-local and multicast addresses "
        "get 400 bad_callback_url unless CALLSCOPE_ALLOWED_FETCH_HOSTS allows them.",
        format="uri",
    )

    @field_validator("agent_id", "customer_ref", "language", "callback_url", mode="before")
    @classmethod
    def _column(cls, value: object, info) -> str | None:
        return _checked(info.field_name, info.field_name, value)

    @field_validator("agent_channel", mode="before")
    @classmethod
    def _channel(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if value not in ("auto", "left", "right"):
            raise _refuse("bad_agent_channel", "agent_channel must be 'auto', 'left' or 'right'")
        return value


class CallFields(_Fields):
    """The fields of ``POST /v1/calls`` (form fields or query parameters; the key also as a header)."""

    external_id: str | None = _text("external_id", "Your id of the call; a repeat returns the existing call.")
    idempotency_key: str | None = _text(
        "idempotency_key", "Sent as the Idempotency-Key header: a repeat returns the existing call."
    )

    @field_validator("external_id", "idempotency_key", mode="before")
    @classmethod
    def _own_column(cls, value: object, info) -> str | None:
        return _checked(info.field_name, info.field_name, value)


class RecordingWebhook(_Fields):
    """The JSON body of a callscope-signed ``POST /v1/webhooks/recording``."""

    recording_id: str = Field(
        description="The platform's id of the recording: a repeat returns the existing call.",
        json_schema_extra={"maxLength": FIELD_LIMITS["external_id"]},
    )
    team: str | None = Field(
        None,
        description="The name of the team whose call this is (default: the team 'default'); an unknown one gets "
        "400 bad_team.",
        json_schema_extra={"maxLength": 100},
    )
    recording_url: str = Field(
        description="Public http(s) URL of the audio; other addresses, and redirects to them, get 400 "
        "bad_recording_url. It is fetched by a queued job, retried, after the 202.",
        json_schema_extra={"maxLength": FIELD_LIMITS["recording_url"], "format": "uri"},
    )

    @field_validator("recording_id", mode="before")
    @classmethod
    def _recording_id(cls, value: object) -> str:
        value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not value:
            raise _refuse("bad_payload", NEEDS)
        return _checked("external_id", "recording_id", value)

    @field_validator("team", mode="before")
    @classmethod
    def _team(cls, value: object) -> str | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or len(value) > 100:
            raise _refuse("bad_team", "team must be a team's name (a string of up to 100 characters)")
        return value

    @field_validator("recording_url", mode="before")
    @classmethod
    def _recording_url(cls, value: object) -> str:
        if not value or not str(value).startswith(("http://", "https://")):
            raise _refuse("bad_payload", NEEDS)
        return _checked("recording_url", "recording_url", value)


class ListQuery(BaseModel):
    """The query of ``GET /v1/calls`` (and of the calls page and its CSV export)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    agent_id: str | None = Field(None, description=FILTER_PARAMS["agent_id"])
    status: str | None = Field(None, description=FILTER_PARAMS["status"], examples=[s.value for s in CallStatus])
    date_from: str | None = Field(
        None, validation_alias=AliasChoices("from", "date_from"), description=FILTER_PARAMS["from"]
    )
    date_to: str | None = Field(None, validation_alias=AliasChoices("to", "date_to"), description=FILTER_PARAMS["to"])
    verdict: str | None = Field(None, description=FILTER_PARAMS["verdict"])
    limit: int = Field(50, description="Page size, 1-200 (default 50).")
    offset: int = Field(0, description="Calls to skip; the response's next_offset gives the next page.")

    @field_validator("agent_id", "status", "date_from", "date_to", "verdict", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("limit", "offset", mode="before")
    @classmethod
    def _whole(cls, value: object) -> object:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _refuse("bad_page", "limit and offset must be whole numbers") from None

    def filters(self) -> dict:
        """The filters, as :func:`store.db.calls_query` takes them (it refuses a bad date or verdict)."""
        return {
            "agent_id": self.agent_id,
            "status": self.status,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "verdict": self.verdict,
        }


class AuditQuery(BaseModel):
    """The query of ``GET /v1/audit`` (admin keys; the key's team's rows only)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    action: str | None = Field(None, description="Only this action: " + ", ".join(a.value for a in Action) + ".")
    call_id: str | None = Field(None, description="Only rows about this call.")
    key_id: int | None = Field(None, description="Only rows of this key (its id, as `callscope keys list` shows).")
    date_from: str | None = Field(
        None,
        validation_alias=AliasChoices("from", "date_from"),
        description="At or after this ISO 8601 date or time (UTC without an offset).",
    )
    date_to: str | None = Field(
        None,
        validation_alias=AliasChoices("to", "date_to"),
        description="At or before this ISO 8601 time; a bare date includes that whole day (UTC).",
    )
    limit: int = Field(100, description="Page size, 1-1000 (default 100).")
    offset: int = Field(0, description="Rows to skip; the response's next_offset gives the next page.")

    @field_validator("action", "call_id", "date_from", "date_to", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("action")
    @classmethod
    def _action(cls, value: str | None) -> str | None:
        if value is not None and value not in {a.value for a in Action}:
            raise _refuse("bad_action", "action must be one of " + ", ".join(a.value for a in Action))
        return value

    @field_validator("key_id", "limit", "offset", mode="before")
    @classmethod
    def _whole(cls, value: object, info) -> object:
        if info.field_name == "key_id" and value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _refuse(f"bad_{info.field_name}", f"{info.field_name} must be a whole number") from None


#: Longest retention a team may set, days (100 years: any longer is "keep", which is null).
MAX_RETENTION_DAYS = 36500


class TeamSettings(BaseModel):
    """The body of ``PATCH /v1/team``: a team's retention, in whole days (null: kept until deleted). A field
    left out is left as it is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    audio_retention_days: int | None = Field(
        None,
        description="Days a finished call's recording is kept (1-36500; null: until deleted).",
        json_schema_extra={"minimum": 1, "maximum": MAX_RETENTION_DAYS},
    )
    report_retention_days: int | None = Field(
        None,
        description="Days a finished call's report and record are kept (1-36500; null: until deleted).",
        json_schema_extra={"minimum": 1, "maximum": MAX_RETENTION_DAYS},
    )

    @field_validator("audio_retention_days", "report_retention_days", mode="before")
    @classmethod
    def _days(cls, value: object, info) -> object:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RETENTION_DAYS:
            raise _refuse(
                f"bad_{info.field_name}", f"{info.field_name} must be a whole number of days, 1-36500, or null"
            )
        return value


def bad_request(exc: ValidationError) -> tuple[str, str]:
    """(code, message) of the first refused field: ``bad_<field>`` and what to send."""
    error = exc.errors()[0]
    if error["type"].startswith("bad_"):
        return error["type"], error["msg"]
    field = str(error["loc"][0]) if error["loc"] else "request"
    if error["type"] == "missing":
        return "bad_payload", NEEDS
    return f"bad_{field}", f"{field} must be a string"
