"""`accountleader settings`: show and change workspace settings."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import ConfigError
from .app import HelpGroup, app, state

settings_app = typer.Typer(cls=HelpGroup, help="Show or change the workspace's settings (SLAs, stages, engine).", no_args_is_help=True)
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
    from ..config import public_settings

    st = state()
    values = public_settings(st.workspace.settings)  # a password in engine.url shows as ****
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

    from ..config import WorkspaceSettings, keep_masked_url, mask_url, workspace_file

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
    if key == "engine.url":
        # the URL read back masked keeps the stored password; a new one may not carry one
        parsed = keep_masked_url(str(parsed) if parsed is not None else None, st.workspace.settings.engine.url)
    if key == "icp_rules_file" and parsed:
        workspace_file(st.workspace.path, str(parsed), setting=key)
    target[leaf] = parsed
    shown = mask_url(value) if key == "engine.url" else value
    try:
        new = WorkspaceSettings.model_validate(current)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"setting {key!r} = {shown!r}: {first['msg']}") from None
    st.workspace.save_settings(new)
    st.console.success(f"{key} = {mask_url(parsed) if key == 'engine.url' else parsed!r}")
