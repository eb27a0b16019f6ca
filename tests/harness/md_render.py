"""Render Markdown the way GitHub does (CommonMark + GFM tables, raw HTML allowed) and take the result apart."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.tables: list[Table] = []
        self.text: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "table":
            self.tables.append(Table(header=[]))
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._in_head:
                self.tables[-1].header = self._row
            else:
                self.tables[-1].rows.append(self._row)
            self._row = None
        elif tag == "thead":
            self._in_head = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


@dataclass
class Rendered:
    html: str
    tags: list[str]
    attrs: list[tuple[str, str | None]]
    tables: list[Table]
    text: str


def render(markdown: str) -> Rendered:
    """Markdown → HTML, the tags and attributes it contains, its tables (cell text) and its visible text."""
    html = _MD.render(markdown)
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return Rendered(html=html, tags=collector.tags, attrs=collector.attrs, tables=collector.tables,
                    text="".join(collector.text))

