"""A keyboard month grid: seven columns of days, each with its event markers; one day selected."""
from __future__ import annotations

from datetime import date

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from core.month_grid import WEEKDAYS, DayCell

CELL = 10  # characters per day; 7 cells and separators fill 77 of 80 columns


class MonthGrid(Widget, can_focus=True):
    """Shows cells built by core.month_grid; arrows and hjkl move the selected day."""

    DEFAULT_CSS = """
    MonthGrid { height: auto; width: 100%; }
    """
    BINDINGS = [
        Binding("left,h", "move(-1)", "Day back", id="calendar.day_back", show=False),
        Binding("right,l", "move(1)", "Day on", id="calendar.day_on", show=False),
        Binding("up,k", "move(-7)", "Week back", id="calendar.week_back", show=False),
        Binding("down,j", "move(7)", "Week on", id="calendar.week_on", show=False),
        Binding("enter", "choose", "Why", id="calendar.explain"),
    ]

    selected: reactive[date] = reactive(date(2000, 1, 1))

    class Moved(Message):
        """The selected day moved by `days`; the screen decides what that means."""

        def __init__(self, days: int) -> None:
            super().__init__()
            self.days = days

    class Chosen(Message):
        """Enter on the selected day."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.cells: list[list[DayCell]] = []

    def show(self, cells: list[list[DayCell]], selected: date) -> None:
        self.cells = cells
        self.selected = selected
        self.refresh(layout=True)

    def action_move(self, days: int) -> None:
        self.post_message(self.Moved(days))

    def action_choose(self) -> None:
        self.post_message(self.Chosen())

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        text.append(" ".join(f"{name:<{CELL}}" for name in WEEKDAYS), style="bold")
        for week in self.cells:
            for line in ("head", "marks"):
                text.append("\n")
                for i, cell in enumerate(week):
                    if i:
                        text.append(" ")
                    value = getattr(cell, line)
                    chosen = cell.on == self.selected
                    if chosen and line == "head":
                        value = ">" + value.lstrip()  # the selected day, not by colour alone
                    style = "reverse" if chosen else ("" if cell.in_month else "dim")
                    text.append(f"{value:<{CELL}}"[:CELL], style=style)
        return text

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 1 + 2 * len(self.cells)
