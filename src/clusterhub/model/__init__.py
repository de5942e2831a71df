"""The cluster model: one validated description of a cluster that every engine reads.

Depends on nothing of clusterhub but ``errors``.
"""

from clusterhub.model.assets import Asset, Converter, Demand, Flexibility, Generator, Storage
from clusterhub.model.cluster import (
    Agreement,
    Carrier,
    CarrierKind,
    Cluster,
    Connection,
    Contract,
    Horizon,
    Link,
    Location,
    Participant,
    ParticipantKind,
    Site,
)
from clusterhub.model.io import dumps, loads, read_cluster, validate_document, write_cluster
from clusterhub.model.profiles import ar1
from clusterhub.model.series import (
    DemandlibProfile,
    FileSeries,
    PvProfile,
    Series,
    ShapeProfile,
    WindProfile,
)
from clusterhub.model.streams import Exchange, Fate, Provenance, QualityRange, Stream, TransportMode
from clusterhub.model.summary import ClusterSummary, summarize

__all__ = [
    "Agreement",
    "Asset",
    "Carrier",
    "CarrierKind",
    "Cluster",
    "ClusterSummary",
    "Connection",
    "Contract",
    "Converter",
    "Demand",
    "DemandlibProfile",
    "Exchange",
    "Fate",
    "FileSeries",
    "Flexibility",
    "Generator",
    "Horizon",
    "Link",
    "Location",
    "Participant",
    "ParticipantKind",
    "Provenance",
    "PvProfile",
    "QualityRange",
    "Series",
    "ShapeProfile",
    "Site",
    "Storage",
    "Stream",
    "TransportMode",
    "WindProfile",
    "ar1",
    "dumps",
    "loads",
    "read_cluster",
    "summarize",
    "validate_document",
    "write_cluster",
]
