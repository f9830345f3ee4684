"""The Settings form: the WorkspaceSettings an admin may change from the web, with clear messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..config import WorkspaceSettings, keep_masked_url, workspace_file
from ..errors import ConfigError, InputError


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    help: str
    kind: str = "number"  # number, text, lines
    step: str = "any"


SETTINGS_FIELDS: tuple[Field, ...] = (
    Field("quote_sla_business_days", "Quote SLA (business days)", "A quote slower than this, from request, is over SLA."),
    Field("response_sla_hours", "Response SLA (hours)", "Inbound touches should get a reply within this many hours."),
    Field("followup_sla_hours", "Follow-up SLA (hours)", "Meetings should be followed up within this many hours."),
    Field("dark_after_days", "Dark after (days)", "An account with no engagement for this long has gone dark.", step="1"),
    Field("engagement_window_days", "Engagement window (days)", "How far back engagement and effort are counted.", step="1"),
    Field("quote_stages", "Quote stages", "Stage names that mean a quote was asked for, one per line.", kind="lines"),
    Field("corporate_currency", "Corporate currency", "Three-letter ISO code, e.g. USD.", kind="text"),
    Field("icp_rules_file", "ICP rules file", "Optional YAML file of ideal-customer rules, inside the workspace "
          "(path relative to it).", kind="text"),
    Field("icp_blend_weight", "ICP blend weight", "0 uses only the learned fit, 1 only the ICP rules."),
    Field("engine.url", "Warehouse URL", "Optional Ibis backend URL; name the password with ?password_env=NAME or "
          "?password_file=PATH, never in the URL. A saved password shows as ****: leave it as it is to keep it.",
          kind="text"),
)
_FIELD_BY_NAME = {f.name: f for f in SETTINGS_FIELDS}
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class FormInvalid(InputError):
    """A form with one message per bad field."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{_FIELD_BY_NAME[k].label if k in _FIELD_BY_NAME else k}: {v}" for k, v in fields.items()))


def _lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def settings_from_form(current: WorkspaceSettings, form: Mapping[str, Any], workspace: Path) -> WorkspaceSettings:
    """New settings from submitted values (missing fields keep their current value).

    Raises FormInvalid naming each bad field, the value given and what is expected.
    """
    unknown = sorted(set(form) - set(_FIELD_BY_NAME) - {"csrf_token"})
    errors: dict[str, str] = {f: "is not a setting that can be changed here" for f in unknown}
    data = current.model_dump(mode="json")
    for f in SETTINGS_FIELDS:
        if f.name not in form:
            continue
        raw = form[f.name]
        if f.kind == "lines":
            data[f.name] = _lines(raw)
            if not data[f.name]:
                errors[f.name] = "give at least one stage name"
        elif f.name == "engine.url":
            text = str(raw).strip() if raw is not None else ""
            try:
                data["engine"]["url"] = keep_masked_url(text or None, current.engine.url)
            except ConfigError as exc:
                errors[f.name] = str(exc).removeprefix("engine.url: ")
        elif f.kind == "text":
            text = str(raw).strip() if raw is not None else ""
            data[f.name] = (text or None) if f.name == "icp_rules_file" else text
        else:
            data[f.name] = str(raw).strip() if isinstance(raw, str) else raw
    currency = data.get("corporate_currency") or ""
    if "corporate_currency" in form and not _CURRENCY.match(currency):
        errors["corporate_currency"] = f"{currency!r} is not a three-letter currency code like USD"
    rules = data.get("icp_rules_file")
    if "icp_rules_file" in form and rules:
        try:
            workspace_file(workspace, rules, setting="icp_rules_file")
        except ConfigError as exc:
            errors["icp_rules_file"] = str(exc).removeprefix("icp_rules_file: ")
    try:
        settings = WorkspaceSettings.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "settings"
            given = form.get(name, err.get("input"))
            errors.setdefault(name, f"{_plain(err['msg'])} (you entered {given!r})")
        raise FormInvalid(errors) from None
    if errors:
        raise FormInvalid(errors)
    return settings


def form_values(settings: dict[str, Any]) -> dict[str, Any]:
    """Each form field's current value, read from (masked) settings; dotted names go nested."""
    out: dict[str, Any] = {}
    for f in SETTINGS_FIELDS:
        value: Any = settings
        for part in f.name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        out[f.name] = value
    return out


def _plain(msg: str) -> str:
    """Pydantic's wording, made to read as a sentence about the field."""
    msg = msg.replace("Input should be", "must be")
    msg = msg.replace("a valid number, unable to parse string as a number", "a number")
    msg = msg.replace("a valid integer, unable to parse string as an integer", "a whole number")
    return msg
