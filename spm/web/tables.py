"""Sortable tables: a page's ``?sort=column`` (``-column`` for descending) applied to its
rows, and the links its column headers carry."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

Row = TypeVar("Row")


def sorted_rows(
    rows: Sequence[Row], sort: str, columns: Mapping[str, Callable[[Row], Any]]
) -> tuple[list[Row], str, bool]:
    """``rows`` sorted by ``sort`` (a key of ``columns``, whose values read a row's cell),
    rows without a value last whatever the direction; returns the rows, the column and
    whether descending. An unknown column leaves the order as it is, sorted by "name"."""
    key = sort.removeprefix("-")
    if key not in columns:
        return list(rows), "name", False
    descending = sort.startswith("-")
    value = columns[key]
    known = [row for row in rows if value(row) is not None]
    unknown = [row for row in rows if value(row) is None]  # Always last.
    return sorted(known, key=value, reverse=descending) + unknown, key, descending


def sort_links(
    columns: Collection[str], key: str, descending: bool, *, descending_first: Collection[str]
) -> dict[str, dict]:
    """Per column, the ``sort`` parameter its header links to and its current direction
    (``aria-sort``): the sorted column toggles; the others start descending when they are
    in ``descending_first`` (figures, where the largest matter first)."""
    links = {}
    for column in columns:
        if column == key:
            direction = "descending" if descending else "ascending"
            param = column if descending else f"-{column}"
        else:
            direction = None
            param = f"-{column}" if column in descending_first else column
        links[column] = {"param": param, "direction": direction}
    return links
