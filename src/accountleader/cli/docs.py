"""`accountleader docs`: print generated documentation."""

from __future__ import annotations

import typer

from .app import HelpGroup, app, state

docs_app = typer.Typer(cls=HelpGroup, help="Print generated documentation.", no_args_is_help=True)
app.add_typer(docs_app, name="docs")


@docs_app.command("data-model")
def data_model() -> None:
    """The canonical data model as Markdown (the source of docs/data-model.md)."""
    # the whole schema's documentation: only this command needs it loaded
    from ..domain.datamodel_doc import data_model_markdown

    state().console.rich.file.write(data_model_markdown())
