"""The timeline picture: directory entries per month, stacked by topic (matplotlib).

Drawn from the same :class:`~hikgraph.network.NetworkData` as the network (which the
graph answered by SPARQL). An entry with several topics is shared equally among
them, so each month's stack is as tall as the number of entries that month; entries
with no topic are a grey band of their own. A span of more than 20 years is counted
per year instead.

The bytes are deterministic: matplotlib's Agg and SVG backends are used directly
(no pyplot, no GUI), the SVG's ids are salted with a constant, the date and the
software version are left out of both files' metadata, and every piece of text is
set in the DejaVu Sans that ships inside matplotlib, by file, so a system font of
the same name cannot change the picture.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hikgraph.network import TOPIC_COLOURS, NetworkData

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

NO_TOPIC_COLOUR = "#bdbdbd"
SIZE_INCHES = (12.0, 5.4)
PNG_DPI = 100


#: Past this many months (20 years) the timeline counts entries per year: monthly
#: bars would be too thin to see and the SVG would grow to megabytes.
MAX_MONTHS = 240


@dataclass(frozen=True)
class TopicTimeline:
    """Entries per month (or per year, for long spans), split by topic: the numbers
    the timeline draws."""

    period: str  # "month" or "year"
    periods: tuple[str, ...]  # every period from the first entry's to the last's
    topics: tuple[tuple[str, str], ...]  # (topic IRI, label), in the scheme's order
    shares: tuple[tuple[float, ...], ...]  # per topic, per period: entries (shared)
    untagged: tuple[int, ...]  # per period: entries with no topic
    entries: tuple[int, ...]  # per period: all entries


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def topic_timeline(data: NetworkData) -> TopicTimeline:
    """Return the entries of *data* per month (per year past :data:`MAX_MONTHS`
    months), each entry shared equally among its topics."""
    months = _month_range(data.articles[0].month, data.articles[-1].month) if data.articles else []
    period = "month" if len(months) <= MAX_MONTHS else "year"
    if period == "year":
        periods = [str(y) for y in range(int(months[0][:4]), int(months[-1][:4]) + 1)]
    else:
        periods = months
    index = {key: i for i, key in enumerate(periods)}
    width = 7 if period == "month" else 4
    topic_index = {t.iri: i for i, t in enumerate(data.topics)}
    shares = [[0.0] * len(periods) for _ in data.topics]
    untagged = [0] * len(periods)
    entries = [0] * len(periods)
    for article in data.articles:
        column = index[article.month[:width]]
        entries[column] += 1
        known = [t for t in article.topics if t in topic_index]
        if not known:
            untagged[column] += 1
        for topic in known:
            shares[topic_index[topic]][column] += 1 / len(known)
    return TopicTimeline(
        period=period,
        periods=tuple(periods),
        topics=tuple((t.iri, t.label) for t in data.topics),
        shares=tuple(tuple(row) for row in shares),
        untagged=tuple(untagged),
        entries=tuple(entries),
    )


def _bundled_font() -> FontProperties:
    from pathlib import Path

    import matplotlib
    from matplotlib.font_manager import FontProperties

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return FontProperties(fname=str(path))


def _figure(series: TopicTimeline, title: str) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    font = _bundled_font()
    figure = Figure(figsize=SIZE_INCHES, dpi=PNG_DPI)
    axes = figure.add_subplot()
    periods = series.periods
    # Each period is the interval [i, i+1): a step drawing, with one more x than
    # periods so the last one has its width.
    x = list(range(len(periods) + 1))

    def stepped(values: Sequence[float]) -> list[float]:
        return [*values, values[-1] if values else 0.0]

    layers = [stepped(row) for row in series.shares] + [stepped(series.untagged)]
    labels = [label for _, label in series.topics] + ["no topic"]
    colours = [TOPIC_COLOURS[i % len(TOPIC_COLOURS)] for i in range(len(series.topics))]
    colours.append(NO_TOPIC_COLOUR)
    if periods:
        axes.stackplot(x, *layers, labels=labels, colors=colours, step="post", linewidth=0)
        axes.set_xlim(0, len(periods))
        years = [(i, p[:4]) for i, p in enumerate(periods) if len(p) == 4 or p.endswith("-01")]
        every = max(1, math.ceil(len({p[:4] for p in periods}) / 14))
        ticks = [(i, year) for i, year in years if int(year) % every == 0] or [(0, periods[0][:4])]
        axes.set_xticks([i for i, _ in ticks], [year for _, year in ticks])
        if series.period == "month":
            axes.set_xticks(range(len(periods) + 1), minor=True)
        axes.set_ylim(0, max(series.entries) * 1.08 if max(series.entries) else 1)
    axes.tick_params(axis="x", which="minor", length=2)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", color="#e0e0e0", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    # Titles and labels come from the graph: a "$" in them is text, not mathtext.
    axes.set_title(title, fontproperties=font, fontsize=13, loc="left", parse_math=False)
    axes.set_xlabel(
        "month of publication (ticks: January)" if series.period == "month" else "year",
        fontproperties=font,
        fontsize=10,
    )
    axes.set_ylabel("entries (shared among an entry's topics)", fontproperties=font, fontsize=10)
    for label in [*axes.get_xticklabels(), *axes.get_yticklabels()]:
        label.set_fontproperties(font)
        label.set_fontsize(9)
    legend = axes.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        prop=font,
        reverse=True,
        title="topic",
        title_fontproperties=font,
    )
    for text in legend.get_texts():
        text.set_fontsize(9)
        text.set_parse_math(False)
    # Fixed margins with room for the legend on the right: bbox_inches="tight" would
    # draw every figure twice.
    figure.subplots_adjust(left=0.06, right=0.76, top=0.92, bottom=0.11)
    return figure


def timeline_images(data: NetworkData, *, png: bool = True) -> tuple[bytes, bytes | None]:
    """Return the timeline of *data* as (SVG bytes, PNG bytes); the PNG is None when
    *png* is false. Same data, same bytes."""
    import matplotlib

    series = topic_timeline(data)
    span = f"{series.periods[0][:4]}–{series.periods[-1][:4]}" if series.periods else ""
    title = f"{data.title}: entries per {series.period} by topic, {span}"
    with matplotlib.rc_context(
        {"svg.hashsalt": "hikgraph-timeline", "svg.fonttype": "path", "path.simplify": True}
    ):
        figure = _figure(series, title)
        # savefig picks the SVG or Agg canvas by format, without pyplot or a GUI.
        svg_buffer = io.BytesIO()
        figure.savefig(
            svg_buffer,
            format="svg",
            metadata={"Date": None, "Creator": "hikgraph", "Title": title},
        )
        png_bytes = None
        if png:
            png_buffer = io.BytesIO()
            figure.savefig(png_buffer, format="png", metadata={"Software": None})
            png_bytes = png_buffer.getvalue()
    return svg_buffer.getvalue(), png_bytes
