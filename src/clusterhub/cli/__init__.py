"""The ``clusterhub`` command line: Typer commands over the model, engines and storage."""
