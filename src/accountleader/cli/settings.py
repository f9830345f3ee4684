"""`accountleader settings`: show and change workspace settings."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import ConfigError
from .app import app, state

settings_app = typer.Typer(help="Show or change the workspace's settings (SLAs, stages, engine).", no_args_is_help=True)
app.add_typer(settings_app, name="settings")


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


@settings_app.command("show")
def show(json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every setting and its current value."""
    st = state()
    values = st.workspace.settings.model_dump(mode="json")
    if json:
        st.console.json(values)
        return
    st.console.table(f"Settings of {st.workspace.path}", ["setting", "value"], sorted(_flatten(values).items()))


@settings_app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help="Setting name, e.g. quote_sla_business_days or engine.kind.")],
    value: Annotated[str, typer.Argument(help="New value (YAML: 3, true, [A, B], text).")],
) -> None:
    """Change one setting; the value is checked before anything is written."""
    import yaml
    from pydantic import ValidationError

    from ..config import WorkspaceSettings

    st = state()
    current = st.workspace.settings.model_dump(mode="json")
    known = _flatten(current)
    if key not in known:
        raise ConfigError(f"no setting {key!r}; known: {', '.join(sorted(known))}")
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        parsed = value
    target = current
    *parents, leaf = key.split(".")
    for p in parents:
        target = target[p]
    target[leaf] = parsed
    try:
        new = WorkspaceSettings.model_validate(current)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"setting {key!r} = {value!r}: {first['msg']}") from None
    st.workspace.save_settings(new)
    st.console.success(f"{key} = {parsed!r}")
