"""The PDF structure tree, walked once: every node in document order, so that the tag
repair and the checks read the tree the same way."""

from __future__ import annotations

from typing import Callable, Iterator

from pikepdf import Array, Dictionary


def is_element(node) -> bool:
    return isinstance(node, Dictionary) and "/S" in node


def kids_of(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def walk(root, prune: Callable[[Dictionary], bool] = lambda element: False) -> Iterator[tuple[Dictionary, int, object]]:
    """(parent element, index, kid) for every kid under `root`, in document order: an
    element is given before what it holds; `prune(element)` keeps out what an element holds."""
    pending: list[tuple[object, list, int]] = [(root, kids_of(root), 0)]
    while pending:
        parent, kids, index = pending.pop()
        if index >= len(kids):
            continue
        kid = kids[index]
        pending.append((parent, kids, index + 1))
        yield parent, index, kid
        if is_element(kid) and not prune(kid):
            pending.append((kid, kids_of(kid), 0))


def marked_content(parent, kid, page_of: dict) -> tuple[int, int] | None:
    """(page, MCID) of a kid that is marked content (a bare MCID on its parent's page, or
    a marked-content reference), else None."""
    if isinstance(kid, int):
        page = page_of.get(parent.Pg.objgen) if parent.get("/Pg") is not None else None
        return (page, kid) if page is not None else None
    if isinstance(kid, Dictionary) and kid.get("/Type") == "/MCR":
        return page_of[kid.Pg.objgen], int(kid.MCID)
    return None


def annotation_of(kid):
    """The annotation an object reference points to, else None."""
    if isinstance(kid, Dictionary) and kid.get("/Type") == "/OBJR":
        return kid.Obj
    return None
