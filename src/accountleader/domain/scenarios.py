"""Named scenarios: what each kind means, and ``scenarios.yaml`` read, checked and written as text.

Pure: text in, scenarios out (and back). The workspace reads and writes the file, atomically
and under a version check (docs/forecast.md). Every problem names the file, the line, the
field and the bad value; YAML marks give the lines. The effect of each kind on the forecast
is in :mod:`accountleader.domain.forecast` (docs/metrics.md, "Forecast").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import EditConflict, InputError, Problem

FILE_NAME = "scenarios.yaml"

#: Default effects, documented in docs/metrics.md ("Forecast"); each can be set per scenario.
CHAMPION_FACTOR = {"champion": 0.6, "economic_buyer": 0.5}
SELLER_LEAVES_FACTOR = 0.8
SELLER_LEAVES_SLIP_DAYS = 30
COMPETITOR_FACTOR = 0.7

KINDS: dict[str, str] = {
    "champion_leaves": "a champion or economic buyer leaves at an account",
    "budget_freeze": "a budget freeze in an industry for some months",
    "seller_leaves": "a seller leaves; their deals are reassigned and slowed",
    "competitor_enters": "a competitor enters: win probability x k for matching deals",
    "general_slip": "every deal slips by some days",
}
COMMON = ("name", "owner", "kind", "note")


class StaleEdit(EditConflict):
    """An edit made on an older version of the scenarios than the one on disk: refused (the
    API answers 409 ``edit_conflict``)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    owner: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "owner": self.owner, "kind": self.kind, **self.params,
                **({"note": self.note} if self.note else {})}

    @property
    def description(self) -> str:
        p = self.params
        if self.kind == "champion_leaves":
            who = "economic buyer" if p.get("role") == "economic_buyer" else "champion"
            return f"the {who} leaves at {p['account']}"
        if self.kind == "budget_freeze":
            since = f" from {p['start']}" if p.get("start") else ""
            return f"budget freeze in {p['industry']} for {p['months']} months{since}"
        if self.kind == "seller_leaves":
            to = f", deals to {p['reassign_to']}" if p.get("reassign_to") else ""
            return f"{p['seller']} leaves{to}"
        if self.kind == "competitor_enters":
            match = ", ".join(f"{k} {p[k]}" for k in ("industry", "product", "account") if p.get(k))
            return f"a competitor enters ({match}): win probability x {p.get('factor', COMPETITOR_FACTOR)}"
        return f"every deal slips {p['days']} days"


@dataclass(frozen=True)
class ScenarioFile:
    """The scenarios in ``scenarios.yaml`` and the file's version (0: no file yet)."""

    version: int = 0
    scenarios: tuple[Scenario, ...] = ()

    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    def get(self, name: str) -> Scenario:
        for s in self.scenarios:
            if s.name.casefold() == name.casefold():
                return s
        known = ", ".join(self.names()) or "none yet"
        from ..errors import NotFoundError

        raise NotFoundError(f"no scenario named {name!r}; scenarios: {known}")

    def check_version(self, expected: int | None) -> None:
        """Refuse an edit made on another version than this one (``None``: no check)."""
        if expected is not None and expected != self.version:
            raise StaleEdit(f"the scenarios changed since you opened them (you edited version {expected}, "
                            f"now version {self.version}); reload and make your change again",
                            details={"your_version": expected, "current_version": self.version})

    def with_scenario(self, scenario: Scenario, *, replacing: str | None = None) -> ScenarioFile:
        """A new version with ``scenario`` added, or put in place of ``replacing``."""
        kept = [s for s in self.scenarios if replacing is None or s.name.casefold() != replacing.casefold()]
        if replacing is not None and len(kept) == len(self.scenarios):
            self.get(replacing)  # raises NotFound naming the scenarios there are
        if any(s.name.casefold() == scenario.name.casefold() for s in kept):
            raise InputError(f"a scenario named {scenario.name!r} already exists", column="name", value=scenario.name)
        return ScenarioFile(self.version + 1, (*kept, scenario) if replacing is None else tuple(
            scenario if s.name.casefold() == replacing.casefold() else s for s in self.scenarios))

    def without(self, name: str) -> ScenarioFile:
        gone = self.get(name)
        return ScenarioFile(self.version + 1, tuple(s for s in self.scenarios if s is not gone))

    def dump(self) -> str:
        import yaml

        doc = {"version": self.version, "scenarios": [s.as_dict() for s in self.scenarios]}
        return "# Named scenarios for `accountleader forecast` (docs/forecast.md)\n" + yaml.safe_dump(
            doc, sort_keys=False, allow_unicode=True)


def scenario(raw: Mapping[str, Any], *, file: str = FILE_NAME, lines: Mapping[str, int] | None = None,
             line: int | None = None) -> Scenario:
    """One scenario from its fields (a YAML entry, a web form, CLI options), checked."""
    lines = lines or {}

    def bad(key: str, reason: str) -> InputError:
        value = raw.get(key)
        at = lines.get(key, line)
        problem = Problem(file, at, key, None if value is None else str(value), reason)
        return InputError(str(problem), file=file, line=at, column=key, value=problem.value)

    def text(key: str, *, required: bool = True, limit: int = 200) -> str | None:
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise bad(key, f"{key} is required")
            return None
        if isinstance(value, bool | list | dict):
            raise bad(key, f"{key} must be text")
        value = str(value).strip()
        if len(value) > limit:
            raise bad(key, f"{key} is longer than {limit} characters")
        return value

    def number(key: str, lo: float, hi: float, *, default: float | None = None, whole: bool = False) -> float | None:
        value = raw.get(key)
        if value is None or value == "":
            if default is None:
                raise bad(key, f"{key} is required")
            return default
        try:
            if isinstance(value, bool):
                raise ValueError
            num = float(value)
            if whole and num != int(num):
                raise ValueError
        except (TypeError, ValueError):
            raise bad(key, f"{key} must be a {'whole ' if whole else ''}number") from None
        if not lo <= num <= hi:
            raise bad(key, f"{key} must be between {lo:g} and {hi:g}")
        return int(num) if whole else num

    kind = text("kind")
    if kind not in KINDS:
        raise bad("kind", f"unknown kind; choose one of {', '.join(KINDS)}")
    allowed = set(COMMON) | set(_PARAMS[kind])
    for key in raw:
        if key not in allowed:
            raise bad(key, f"{kind} takes no {key!r}; its fields: {', '.join(_PARAMS[kind])}")
    params: dict[str, Any] = {}
    if kind == "champion_leaves":
        params["account"] = text("account")
        role = text("role", required=False) or "champion"
        if role not in CHAMPION_FACTOR:
            raise bad("role", "role must be champion or economic_buyer")
        params["role"] = role
        params["factor"] = number("factor", 0.0, 1.0, default=CHAMPION_FACTOR[role])
    elif kind == "budget_freeze":
        params["industry"] = text("industry")
        params["months"] = number("months", 1, 24, whole=True)
        start = raw.get("start")
        if start not in (None, ""):
            try:
                params["start"] = start if isinstance(start, date) else date.fromisoformat(str(start).strip())
            except ValueError:
                raise bad("start", "start must be a date like 2026-10-01") from None
    elif kind == "seller_leaves":
        params["seller"] = text("seller")
        reassign = text("reassign_to", required=False)
        if reassign:
            params["reassign_to"] = reassign
        params["factor"] = number("factor", 0.0, 1.0, default=SELLER_LEAVES_FACTOR)
        params["slip_days"] = number("slip_days", 0, 365, default=SELLER_LEAVES_SLIP_DAYS, whole=True)
    elif kind == "competitor_enters":
        for key in ("industry", "product", "account"):
            value = text(key, required=False)
            if value:
                params[key] = value
        if not params:
            raise bad("industry", "say which deals the competitor contests: an industry, a product or an account")
        params["factor"] = number("factor", 0.0, 1.0, default=COMPETITOR_FACTOR)
    else:
        params["days"] = number("days", 1, 365, whole=True)
    name, owner = text("name", limit=100), text("owner", limit=100)
    assert name is not None and owner is not None
    return Scenario(name, owner, kind, params, text("note", required=False, limit=500))


_PARAMS: dict[str, tuple[str, ...]] = {
    "champion_leaves": ("account", "role", "factor"),
    "budget_freeze": ("industry", "months", "start"),
    "seller_leaves": ("seller", "reassign_to", "factor", "slip_days"),
    "competitor_enters": ("industry", "product", "account", "factor"),
    "general_slip": ("days",),
}


def fields_of(kind: str) -> tuple[str, ...]:
    return _PARAMS[kind]


def parse(text: str, *, file: str = FILE_NAME) -> ScenarioFile:
    """``scenarios.yaml`` text as scenarios; raises InputError naming file, line, field and value."""
    import yaml

    def fail(line: int | None, column: str | None, value: Any, reason: str) -> InputError:
        problem = Problem(file, line, column, None if value is None else str(value), reason)
        return InputError(str(problem), file=file, line=line, column=column, value=problem.value)

    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise fail(mark.line + 1 if mark else None, None, None, f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise fail(None, None, None, f"not valid YAML: {exc}") from None
    if data is None:
        return ScenarioFile()
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise fail(1, None, None, "expected a mapping with 'version' and 'scenarios'")
    top = _key_lines(node)
    for key in data:
        if key not in ("version", "scenarios"):
            raise fail(top.get(str(key)), str(key), None, "unknown key; the file holds 'version' and 'scenarios'")
    version = data.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise fail(top.get("version"), "version", version, "version must be a whole number, 0 or more")
    items = data.get("scenarios") or []
    items_node = _value_node(node, "scenarios")
    if not isinstance(items, list):
        raise fail(top.get("scenarios"), "scenarios", None, "scenarios must be a list")
    out: list[Scenario] = []
    for i, item in enumerate(items):
        item_node = items_node.value[i] if isinstance(items_node, yaml.SequenceNode) else None
        line = item_node.start_mark.line + 1 if item_node is not None else None
        if not isinstance(item, dict):
            raise fail(line, None, None, "each scenario must be a mapping of fields (name, owner, kind, ...)")
        lines = _key_lines(item_node) if isinstance(item_node, yaml.MappingNode) else {}
        sc = scenario({str(k): v for k, v in item.items()}, file=file, lines=lines, line=line)
        if any(s.name.casefold() == sc.name.casefold() for s in out):
            raise fail(lines.get("name", line), "name", sc.name, "another scenario has this name")
        out.append(sc)
    return ScenarioFile(version, tuple(out))


def _key_lines(node: Any) -> dict[str, int]:
    """Each key of a YAML mapping node -> the line (1-based) of its value."""
    return {str(k.value): v.start_mark.line + 1 for k, v in node.value}


def _value_node(node: Any, key: str) -> Any:
    for k, v in node.value:
        if k.value == key:
            return v
    return None


def selected(doc: ScenarioFile, names: Sequence[str] | None) -> list[Scenario]:
    """The scenarios named (any case), or every one when ``names`` is None."""
    if names is None:
        return list(doc.scenarios)
    return [doc.get(n) for n in names]
