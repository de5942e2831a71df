"""A cluster written out: its plain document, its YAML or JSON text, its series' CSV text.

Why apart from ``io``: producing the text is pure and serves more than files (the database
stores the same text and CSVs, ``storage.repository``); ``io`` only puts it on disk.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import yaml

from clusterhub.model.checks import iter_series, iter_weather
from clusterhub.model.cluster import Cluster
from clusterhub.model.series import FileSeries

__all__ = ["dumps", "series_files", "to_document"]


def to_document(cluster: Cluster) -> dict[str, Any]:
    """The plain document of a cluster: defaults left out, so files stay short."""
    document: dict[str, Any] = cluster.model_dump(mode="json", exclude_defaults=True)
    for p, participant in enumerate(cluster.participants):
        for a, asset in enumerate(participant.assets):
            fields = document["participants"][p]["assets"][a]
            document["participants"][p]["assets"][a] = {"type": asset.type, **fields}
    return {"schema_version": cluster.schema_version, **document}


class _Dumper(yaml.SafeDumper):
    pass


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flow = bool(value) and all(isinstance(v, int | float | str) for v in value) and len(value) > 1
    flow = flow and all(not isinstance(v, str) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def dumps(cluster: Cluster, *, fmt: str = "yaml") -> str:
    """The cluster file's text; ``loads(dumps(c))`` equals ``c`` (file series need their files)."""
    document = to_document(cluster)
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def series_files(cluster: Cluster) -> dict[str, str]:
    """Text of every file the cluster's series refer to: CSV (one file may hold several
    columns) and weather years, as read."""
    columns: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for _, series in iter_series(cluster):
        if isinstance(series, FileSeries) and series.values is not None:
            columns[series.file][series.column] = np.asarray(series.values)
    out = {}
    index = cluster.time_index
    for name, cols in sorted(columns.items()):
        table = pd.DataFrame({"time": index.map(lambda t: t.isoformat()), **cols})
        out[name] = table.to_csv(index=False, lineterminator="\n")
    for source in iter_weather(cluster):  # weather years: the text they were read from
        if source.weather is not None:
            out[source.file] = source.weather.text
    return out
