"""Optional ideal-customer-profile (ICP) rules that override or blend with the learned fit score.

File shape (YAML)::

    default_score: 40          # optional, score of an account no ``score`` rule matches
    rules:
      - when: {industry: [Software, Finance]}
        score: 90
        reason: "Core vertical"
      - when: {employees_min: 1000}
        add: 10

An account's ICP score is the ``score`` of the first matching ``score`` rule (else
``default_score``, 50 by default) plus the ``add`` of every matching ``add`` rule, clipped to
0-100.  ``blend_fit`` mixes it with the learned score: ``weight * icp + (1 - weight) * learned``
(``weight=1`` overrides; a missing learned score uses the ICP score alone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ...errors import ConfigError
from .fit import _clean, _split_products, tier_for

__all__ = ["IcpRule", "IcpRules", "parse_icp_rules", "load_icp_rules", "icp_scores", "blend_fit"]

_LIST_KEYS = ("industry", "country", "region", "account_type", "products_any")
_NUM_KEYS = ("employees_min", "employees_max", "annual_revenue_min", "annual_revenue_max")


@dataclass(frozen=True)
class IcpRule:
    when: Mapping[str, Any]
    score: float | None
    add: float | None
    reason: str

    def matches(self, row: Mapping[str, Any]) -> bool:
        for key, want in self.when.items():
            if key in _LIST_KEYS:
                if key == "products_any":
                    if not set(_split_products(row.get("products"))) & want:
                        return False
                    continue
                value = _clean(row.get(key))
                if value is None or value.casefold() not in want:
                    return False
            else:
                column, bound = key.rsplit("_", 1)
                raw = row.get(column)
                number = float(raw) if raw is not None and _clean(raw) is not None else None
                if number is None or (number < want if bound == "min" else number > want):
                    return False
        return True


@dataclass(frozen=True)
class IcpRules:
    rules: tuple[IcpRule, ...]
    default_score: float = 50.0


def _kind(value: Any) -> str:
    """What a bad value is, without quoting it: messages never repeat file content."""
    return {bool: "true/false", int: "a number", float: "a number", str: "a text", list: "a list",
            dict: "a mapping", type(None): "nothing"}.get(type(value), "another kind of value")


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")


def _key(key: str) -> str:
    """A key named in a message: quoted when it looks like a field name, else left out."""
    return repr(key) if _IDENT.match(key) else "(not a field name)"


def _fail(where: str, message: str) -> ConfigError:
    return ConfigError(f"ICP rules: {where}: {message}")


def parse_icp_rules(data: Any, *, source: str = "ICP rules") -> IcpRules:
    """Validate already-parsed YAML; errors name the rule index and key."""
    if not isinstance(data, Mapping):
        raise _fail(source, "the file must be a mapping with a 'rules' list")
    unknown_top = set(data) - {"rules", "default_score"}
    if unknown_top:
        raise _fail(source, f"unknown top-level key {_key(sorted(map(str, unknown_top))[0])}; allowed: rules, default_score")
    default = data.get("default_score", 50)
    if not isinstance(default, int | float) or isinstance(default, bool) or not 0 <= default <= 100:
        raise _fail("default_score", f"must be a number from 0 to 100, got {_kind(default)}")
    rules_raw = data.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise _fail("rules", "must be a non-empty list")
    rules: list[IcpRule] = []
    for i, raw in enumerate(rules_raw):
        where = f"rule {i}"
        if not isinstance(raw, Mapping):
            raise _fail(where, "must be a mapping with 'when' and 'score' or 'add'")
        extra = set(raw) - {"when", "score", "add", "reason"}
        if extra:
            raise _fail(f"{where}, key {_key(sorted(map(str, extra))[0])}", "unknown key; allowed: when, score, add, reason")
        when = raw.get("when")
        if not isinstance(when, Mapping) or not when:
            raise _fail(f"{where}, key 'when'", "must be a non-empty mapping of conditions")
        cond: dict[str, Any] = {}
        for j, (key, value) in enumerate(when.items()):
            at = f"{where}, key 'when.{key}'" if _IDENT.match(str(key)) else f"{where}, condition {j}"
            if key in _LIST_KEYS:
                values = [value] if isinstance(value, str) else value
                if not isinstance(values, list) or not values or not all(
                    isinstance(v, str) and v.strip() for v in values
                ):
                    raise _fail(at, f"must be a text or a list of texts, got {_kind(value)}")
                cond[key] = frozenset(
                    v.strip() if key == "products_any" else v.strip().casefold() for v in values
                )
            elif key in _NUM_KEYS:
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise _fail(at, f"must be a number, got {_kind(value)}")
                cond[key] = float(value)
            else:
                known = ", ".join(_LIST_KEYS + _NUM_KEYS)
                raise _fail(at, f"unknown condition; known: {known}")
        has_score, has_add = "score" in raw, "add" in raw
        if has_score == has_add:
            raise _fail(where, "needs exactly one of 'score' or 'add'")
        key = "score" if has_score else "add"
        number = raw[key]
        if not isinstance(number, int | float) or isinstance(number, bool):
            raise _fail(f"{where}, key '{key}'", f"must be a number, got {_kind(number)}")
        if has_score and not 0 <= number <= 100:
            raise _fail(f"{where}, key 'score'", f"must be from 0 to 100, got {number:g}")
        reason = raw.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise _fail(f"{where}, key 'reason'", f"must be text, got {_kind(reason)}")
        if reason is None:
            verb = f"score {number:g}" if has_score else f"{number:+g}"
            reason = f"ICP rule {i} ({verb})"
        rules.append(IcpRule(cond, float(number) if has_score else None,
                             None if has_score else float(number), reason))
    return IcpRules(tuple(rules), float(default))


def load_icp_rules(path: str | Path) -> IcpRules:
    """Read and validate an ICP rules YAML file (raises ConfigError naming the problem)."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"ICP rules: cannot read {p}: {exc.strerror or type(exc).__name__}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"ICP rules: {p} is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        # the problem and where, never the offending text (the file might not be what was meant)
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"ICP rules: {p} is not valid YAML{at}: {getattr(exc, 'problem', None) or 'cannot parse'}") from None
    return parse_icp_rules(data, source=str(p))


def icp_scores(accounts: pd.DataFrame, rules: IcpRules) -> pd.DataFrame:
    """Columns: account_id, icp_score (0-100), icp_reasons (list of matched rule reasons)."""
    scores: list[float] = []
    reasons: list[list[str]] = []
    for row in accounts.to_dict("records"):
        base: float | None = None
        why: list[str] = []
        extra = 0.0
        for rule in rules.rules:
            if not rule.matches(row):
                continue
            if rule.score is not None and base is None:
                base = rule.score
                why.append(rule.reason)
            elif rule.add is not None:
                extra += rule.add
                why.append(rule.reason)
        scores.append(min(100.0, max(0.0, (rules.default_score if base is None else base) + extra)))
        reasons.append(why or [f"No ICP rule matched (default {rules.default_score:g})"])
    return pd.DataFrame({"account_id": accounts["account_id"].tolist(), "icp_score": scores,
                         "icp_reasons": reasons})


def blend_fit(
    accounts: pd.DataFrame,
    fit: pd.DataFrame,
    rules: IcpRules,
    *,
    weight: float = 1.0,
    base_rate: float | None = None,
) -> pd.DataFrame:
    """Blend learned fit (account_id, fit_score, fit_reasons) with ICP rules.

    Returns account_id, fit_score, fit_tier, fit_reasons, icp_score.  Tiers use the same
    rule as the learned model, relative to ``base_rate`` (the workspace win rate; 0.5 when
    unknown), so an ICP score is read on the win-probability scale.
    """
    if not 0.0 <= weight <= 1.0:
        raise ConfigError(f"ICP weight must be from 0 to 1, got {weight!r}")
    icp = icp_scores(accounts, rules)
    merged = icp.merge(fit[["account_id", "fit_score", "fit_reasons"]], on="account_id", how="left")
    learned = merged["fit_score"]
    blended = learned.where(learned.isna(), weight * merged["icp_score"] + (1 - weight) * learned)
    blended = blended.fillna(merged["icp_score"]).round(1)
    base = 0.5 if base_rate is None else base_rate
    reasons = []
    for icp_why, fit_why, lv in zip(merged["icp_reasons"], merged["fit_reasons"], learned,
                                    strict=True):
        learned_why = fit_why if isinstance(fit_why, list) else []
        if pd.isna(lv) or weight == 1.0:
            reasons.append(list(icp_why))
        else:
            reasons.append(list(icp_why) + learned_why)
    return pd.DataFrame({
        "account_id": merged["account_id"],
        "fit_score": blended.astype(float),
        "fit_tier": [tier_for(float(s), base) for s in blended],
        "fit_reasons": reasons,
        "icp_score": merged["icp_score"],
    })
