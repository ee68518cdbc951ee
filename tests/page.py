"""Read a rendered page as a user sees it: its table, its links, its error messages.

A small tree over the standard library's HTMLParser, enough for the console's own pages.
"""

import csv
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.http import HttpResponse

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list["Element | str"] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        parts = [child if isinstance(child, str) else child.text for child in self.children]
        return " ".join(" ".join(parts).split())

    def find_all(self, tag: str, *, cls: str | None = None, **attrs: str) -> list["Element"]:
        found = []
        for child in self.children:
            if isinstance(child, str):
                continue
            if (
                child.tag == tag
                and (cls is None or cls in child.classes)
                and all(child.attrs.get(name) == value for name, value in attrs.items())
            ):
                found.append(child)
            found += child.find_all(tag, cls=cls, **attrs)
        return found

    def find(self, tag: str, *, cls: str | None = None, **attrs: str) -> "Element":
        found = self.find_all(tag, cls=cls, **attrs)
        assert found, f"no <{tag}> with class={cls} {attrs} in the page"
        return found[0]

    @property
    def links(self) -> list[str]:
        return [a.attrs["href"] for a in self.find_all("a") if "href" in a.attrs]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(response: HttpResponse) -> Element:
    builder = _TreeBuilder()
    builder.feed(response.content.decode())
    builder.close()
    return builder.root


@dataclass
class LogTable:
    """The list table of a log page: header texts and, per row, its cells."""

    headers: list[str]
    rows: list[list[Element]]

    def column(self, header: str) -> list[str]:
        index = self.headers.index(header)
        return [row[index].text for row in self.rows]


def log_table(response: HttpResponse) -> LogTable:
    table = parse(response).find("main").find("table", cls="log-table")
    headers = [th.text for th in table.find("thead").find_all("th")]
    rows = [row.find_all("td") for row in table.find("tbody").find_all("tr")]
    # The "no records" row is one cell spanning the table.
    rows = [cells for cells in rows if not (len(cells) == 1 and "colspan" in cells[0].attrs)]
    return LogTable(headers, rows)


def row_ids(response: HttpResponse) -> list[int]:
    """The records a list shows, by the id their timestamp links to."""
    return [
        int(row[0].find("a").attrs["href"].rstrip("/").rsplit("/", 1)[1])
        for row in log_table(response).rows
    ]


def record_fields(response: HttpResponse) -> dict[str, str]:
    """The record a detail page shows: label → value, in the page's order."""
    record = parse(response).find("dl", cls="record")
    labels = [dt.text for dt in record.find_all("dt")]
    values = [dd.text for dd in record.find_all("dd")]
    return dict(zip(labels, values, strict=True))


def csv_rows(response) -> list[list[str]]:
    """A streamed CSV export, header first."""
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def errors(response: HttpResponse) -> list[str]:
    """The form errors shown on the page."""
    main = parse(response).find("main")
    shown = main.find_all("div", cls="errors") + main.find_all("div", cls="field-errors")
    return [div.text for div in shown if div.text]


def main_text(response: HttpResponse) -> str:
    return parse(response).find("main").text
