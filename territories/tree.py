"""The one walk of the territory tree, shared by every page, report and check.

Pure functions over already-loaded nodes (territories, rows of a report, or bare
``(id, parent_id)`` pairs), so each caller reads the tree with one query.
"""

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

N = TypeVar("N")


def tree_order(
    nodes: Iterable[N],
    *,
    key: Callable[[N], Hashable],
    parent: Callable[[N], Hashable | None],
    sort_key: Callable[[N], object] | None = None,
    root: Hashable | None = None,
) -> list[tuple[N, int]]:
    """``nodes`` in tree order (each parent followed by its children), with depths.

    A node whose parent is not among ``nodes`` (e.g. an inactive territory left out of a
    report) is a root. Siblings keep their given order unless ``sort_key`` is set. With
    ``root``, only the nodes below that node are returned, at depths from 0.
    """
    nodes = list(nodes)
    known = {key(node) for node in nodes}
    children: dict[Hashable | None, list[N]] = defaultdict(list)
    for node in nodes:
        up = parent(node)
        children[up if up in known else None].append(node)
    if sort_key is not None:
        for siblings in children.values():
            siblings.sort(key=sort_key)
    ordered: list[tuple[N, int]] = []
    seen: set[Hashable] = set()
    # An explicit stack instead of recursion: a deep tree cannot overflow Python's stack.
    stack = [(node, 0) for node in reversed(children.get(root, []))]
    while stack:
        node, depth = stack.pop()
        if key(node) in seen:  # A cycle can only come from bad data; never loop on it.
            continue
        seen.add(key(node))
        ordered.append((node, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(key(node), [])))
    return ordered


def pairs_order(
    pairs: Iterable[tuple[int, int | None]], *, root: int | None = None
) -> list[tuple[int, int]]:
    """``tree_order`` of bare ``(id, parent_id)`` pairs: ``(id, depth)`` in tree order."""
    return [
        (node_id, depth)
        for (node_id, _), depth in tree_order(
            pairs, key=lambda pair: pair[0], parent=lambda pair: pair[1], root=root
        )
    ]
