"""``clusterhub examples``: list the bundled clusters, or export one to edit it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusterhub.cli.output import Table, console

app = typer.Typer(help="Bundled example clusters.", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """The bundled examples and what each shows."""
    from clusterhub.examples import EXAMPLES

    table = Table("name", "title", "description")
    for example in EXAMPLES.values():
        table.add_row(example.name, example.title, example.description)
    console.print(table)


@app.command()
def export(
    name: Annotated[str, typer.Argument(help="example name (see `clusterhub examples list`)")],
    directory: Annotated[Path, typer.Argument(help="folder to write into (created if absent)")],
) -> None:
    """Write the example's cluster file and every file it refers to."""
    from clusterhub.examples import load_example
    from clusterhub.model import write_cluster

    cluster = load_example(name)
    written = write_cluster(cluster, directory / f"{name}.yaml")
    for path in written:
        console.print(f"wrote {path}")
