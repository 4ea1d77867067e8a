"""hikgraph: IPVM's Hikvision Global News Reports Directory as a linked RDF knowledge graph."""

from __future__ import annotations

__version__ = "0.1.0"
