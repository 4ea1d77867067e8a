"""``python -m hikgraph``: the same as the ``hikgraph`` command."""

from __future__ import annotations

from hikgraph.cli import main

main()
