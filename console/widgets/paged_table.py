"""The one paged list view: a ScrollView that reads pages of rows from SQLite in workers.

No widget ever holds a whole table. Rows are fetched ~200 at a time by keyset (falling back
to OFFSET for a jump), cached, and rendered line by line; the UI thread never waits on the
database: a row not yet loaded paints as a placeholder until its page arrives.
"""
from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.worker_errors import ReportsWorkerErrors


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    align: str = "left"  # or "right"


@dataclass(frozen=True)
class PagedRow:
    key: str
    cells: tuple[str, ...]
    # What a detail pane shows for the row, loaded with its page so moving the cursor never
    # waits on the database (the read audit's explanation and usage history).
    detail: Any = None


class PageSource(Protocol):
    """Where a paged table's rows come from; called on worker threads with their own connection."""

    @property
    def columns(self) -> Sequence[Column]: ...

    def count(self, conn: sqlite3.Connection) -> int: ...

    def page(self, conn: sqlite3.Connection, *, after: str | None, offset: int,
             limit: int) -> list[PagedRow]: ...


class PagedTable(ReportsWorkerErrors, ScrollView, can_focus=True):
    """A keyboard list over any number of rows; Enter posts `RowChosen` with the row's key."""

    COMPONENT_CLASSES = {"paged-table--header", "paged-table--cursor"}
    DEFAULT_CSS = """
    PagedTable { height: 1fr; }
    PagedTable > .paged-table--header { text-style: bold; background: $panel; }
    PagedTable > .paged-table--cursor { background: $accent; color: $text; text-style: bold; }
    """
    BINDINGS = [
        Binding("down,j", "cursor(1)", "Down", show=False, id="list.down"),
        Binding("up,k", "cursor(-1)", "Up", show=False, id="list.up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page_up"),
        Binding("home,g", "jump(0)", "First", show=False, id="list.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="list.last"),
        Binding("enter", "choose", "Open", id="list.open"),
    ]

    cursor = reactive(0, repaint=False)
    row_count = reactive(-1, repaint=False)

    class RowChosen(Message):
        """The clerk pressed Enter on a row."""

        def __init__(self, table: PagedTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

    class PageLoaded(Message):
        def __init__(self, generation: int, page: int, rows: list[PagedRow]) -> None:
            super().__init__()
            self.generation, self.page, self.rows = generation, page, rows

    class CountLoaded(Message):
        def __init__(self, generation: int, count: int) -> None:
            super().__init__()
            self.generation, self.count = generation, count

    def __init__(self, source: PageSource, connect: Callable[[], Any], *, page_size: int = 200,
                 max_pages: int = 24, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self._connect = connect
        self.page_size = page_size
        self.max_pages = max_pages
        self._pages: OrderedDict[int, list[PagedRow]] = OrderedDict()
        self._last_keys: dict[int, str] = {}
        self._loading: set[int] = set()
        self._generation = 0

    # -- data ------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Re-read the count and the visible pages; rows already shown stay until replaced."""
        self._generation += 1
        self._loading.clear()
        self._last_keys.clear()
        self._load_count(self._generation)
        for page in list(self._pages):
            self._request(page)

    @work(thread=True, group="paged-count", exit_on_error=False)
    def _load_count(self, generation: int) -> None:
        with self._connect() as conn:
            count = self.source.count(conn)
        self.post_message(self.CountLoaded(generation, count))

    @work(thread=True, group="paged-page", exit_on_error=False)
    def _load_page(self, generation: int, page: int, after: str | None) -> None:
        with self._connect() as conn:
            rows = self.source.page(conn, after=after, offset=page * self.page_size,
                                    limit=self.page_size)
        self.post_message(self.PageLoaded(generation, page, rows))

    def _request(self, page: int) -> None:
        if page in self._loading or page < 0:
            return
        self._loading.add(page)
        self._load_page(self._generation, page, self._last_keys.get(page - 1))

    @on(CountLoaded)
    def _count_loaded(self, event: CountLoaded) -> None:
        if event.generation != self._generation:
            return
        self.row_count = event.count
        self.virtual_size = Size(self._line_width(), event.count + 1)
        self.cursor = min(self.cursor, max(event.count - 1, 0))
        self.refresh()

    @on(PageLoaded)
    def _page_loaded(self, event: PageLoaded) -> None:
        self._loading.discard(event.page)
        if event.generation != self._generation and event.page not in self._pages:
            return
        self._pages[event.page] = event.rows
        self._pages.move_to_end(event.page)
        if event.rows:
            self._last_keys[event.page] = event.rows[-1].key
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)
        self.refresh()

    def row_at(self, index: int) -> PagedRow | None:
        """The row at `index` if its page is loaded, else None (and the page is requested)."""
        page, within = divmod(index, self.page_size)
        rows = self._pages.get(page)
        if rows is None:
            self._request(page)
            return None
        return rows[within] if within < len(rows) else None

    @property
    def cursor_key(self) -> str | None:
        row = self.row_at(self.cursor) if self.row_count > 0 else None
        return row.key if row else None

    @property
    def cursor_detail(self) -> Any:
        """The current row's detail; None while there are no rows or its page is loading."""
        row = self.row_at(self.cursor) if self.row_count > 0 else None
        return row.detail if row else None

    def show_source(self, source: PageSource) -> None:
        """Page from another source (another filter of the list), from its first row."""
        self.source = source
        self.cursor = 0
        self.row_count = -1
        self.reload()

    # -- rendering -------------------------------------------------------------------------
    def _line_width(self) -> int:
        return sum(c.width + 1 for c in self.source.columns)

    def _cells_text(self, cells: Sequence[str]) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for column, value in zip(self.source.columns, cells, strict=False):
            cell = value if len(value) <= column.width else value[: column.width - 1] + "…"
            right = column.align == "right"
            padded = cell.rjust(column.width) if right else cell.ljust(column.width)
            text.append(padded + " ")  # plain text: customer names are never parsed as markup
        return text

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x = int(self.scroll_offset.x)
        base = self.rich_style
        if y == 0:
            style = self.get_component_rich_style("paged-table--header")
            titles = self._cells_text([c.title for c in self.source.columns])
            return self._strip(titles, style, width, scroll_x)
        index = int(self.scroll_offset.y) + y - 1
        if self.row_count < 0:
            return self._strip(Text("Loading…" if y == 1 else ""), base, width, scroll_x)
        if index >= self.row_count:
            if self.row_count == 0 and y == 1:
                return self._strip(Text("No rows."), base, width, scroll_x)
            return Strip.blank(width, base)
        row = self.row_at(index)
        text = self._cells_text(row.cells) if row else Text("…")
        style = self.get_component_rich_style("paged-table--cursor") \
            if index == self.cursor and self.has_focus else base
        if index == self.cursor and not self.has_focus:
            style = base + Style(reverse=True)
        return self._strip(text, style, width, scroll_x)

    def _strip(self, text: Text, style: Style, width: int, scroll_x: int) -> Strip:
        segments = [Segment(seg.text, style + seg.style if seg.style else style)
                    for seg in text.render(self.app.console)]
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, style)

    # -- keys ------------------------------------------------------------------------------
    def _visible_rows(self) -> int:
        return max(self.size.height - 1, 1)

    def watch_cursor(self, old: int, new: int) -> None:
        top = int(self.scroll_offset.y)
        visible = self._visible_rows()
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        if self.row_count > 0:
            self.cursor = max(0, min(self.row_count - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * self._visible_rows())

    def action_jump(self, where: int) -> None:
        if self.row_count > 0:
            self.cursor = self.row_count - 1 if where < 0 else 0

    def action_choose(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowChosen(self, key))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

