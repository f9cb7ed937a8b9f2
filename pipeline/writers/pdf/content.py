"""Content streams, read and rewritten: the marked-content sequences of a page with the
graphics state before each, and the page repainted in the tag tree's order with
untagged sequences made pagination artifacts (the state a moved sequence relied on is
restored around it, so the page looks the same)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Array, Dictionary, Name

# Operators that only change the graphics or text state (kept where a moved sequence was).
_STATE_OPERATORS = {"q", "Q", "cm", "w", "J", "j", "M", "d", "ri", "i", "gs", "CS", "cs", "SC", "SCN", "sc", "scn",
                    "G", "g", "RG", "rg", "K", "k", "Tc", "Tw", "Tz", "TL", "Tf", "Tr", "Ts"}
# State parameter each state operator sets (colour operators set colour space and colour together).
_PARAMETER = {"w": "w", "J": "J", "j": "j", "M": "M", "d": "d", "ri": "ri", "i": "i",
              "CS": "stroke", "SC": "stroke", "SCN": "stroke", "G": "stroke", "RG": "stroke", "K": "stroke",
              "cs": "fill", "sc": "fill", "scn": "fill", "g": "fill", "rg": "fill", "k": "fill",
              "Tc": "Tc", "Tw": "Tw", "Tz": "Tz", "TL": "TL", "Tf": "Tf", "Tr": "Tr", "Ts": "Ts"}
_DEFAULTS = {"w": ([1], "w"), "J": ([0], "J"), "j": ([0], "j"), "M": ([10], "M"), "d": ([Array(), 0], "d"),
             "stroke": ([0], "G"), "fill": ([0], "g"), "Tc": ([0], "Tc"), "Tw": ([0], "Tw"), "Tz": ([100], "Tz"),
             "TL": ([0], "TL"), "Tr": ([0], "Tr"), "Ts": ([0], "Ts")}


@dataclass
class GraphicsState:
    """What a content stream has set at one point: the CTM and the last operator per parameter."""

    ctm: pikepdf.Matrix = field(default_factory=pikepdf.Matrix)
    parameters: dict[str, pikepdf.ContentStreamInstruction] = field(default_factory=dict)
    extgstates: tuple[pikepdf.ContentStreamInstruction, ...] = ()

    def copy(self) -> "GraphicsState":
        return GraphicsState(self.ctm, dict(self.parameters), self.extgstates)

    def restore_from(self, current: "GraphicsState") -> list:
        """Operators that turn the state `current` into this one (inside a q … Q pair)."""
        ops: list = []
        if current.ctm.shorthand != self.ctm.shorthand:
            delta = self.ctm @ current.ctm.inverse()
            ops.append(pikepdf.ContentStreamInstruction(list(delta.shorthand), pikepdf.Operator("cm")))
        ops += list(self.extgstates)
        for name in sorted(set(self.parameters) | set(current.parameters)):
            if name in self.parameters:
                ops.append(self.parameters[name])
            elif name in _DEFAULTS:
                operands, operator = _DEFAULTS[name]
                ops.append(pikepdf.ContentStreamInstruction(operands, pikepdf.Operator(operator)))
        return ops


@dataclass
class MarkedSequence:
    """One outermost marked-content sequence of a page: `BDC … EMC` (or `BMC … EMC`)."""

    tag: str
    mcid: int | None
    start: int  # index of the BDC/BMC
    end: int  # index of the EMC
    state: GraphicsState  # before the BDC
    origin: tuple[float, float] | None = None  # where its first text or image is drawn, in page space


def marked_sequences(instructions: list) -> tuple[list[MarkedSequence], list[GraphicsState]]:
    """The outermost marked-content sequences of a content stream, and the graphics state
    before every instruction."""
    sequences: list[MarkedSequence] = []
    states: list[GraphicsState] = []
    stack: list[GraphicsState] = []
    state = GraphicsState()
    depth = 0
    current: MarkedSequence | None = None
    for index, instruction in enumerate(instructions):
        states.append(state)
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        operator = str(instruction.operator)
        operands = instruction.operands
        if operator in ("BDC", "BMC"):
            if depth == 0:
                mcid = None
                if operator == "BDC" and isinstance(operands[1], Dictionary) and "/MCID" in operands[1]:
                    mcid = int(operands[1].MCID)
                current = MarkedSequence(str(operands[0]), mcid, index, index, state)
            depth += 1
        elif operator == "EMC":
            depth -= 1
            if depth == 0 and current is not None:
                current.end = index
                sequences.append(current)
                current = None
        elif operator == "q":
            stack.append(state)
            state = state.copy()
        elif operator == "Q":
            state = stack.pop() if stack else GraphicsState()
        elif operator == "cm":
            state = state.copy()
            state.ctm = pikepdf.Matrix(*[float(v) for v in operands]) @ state.ctm
        elif operator == "gs":
            state = state.copy()
            state.extgstates = state.extgstates + (instruction,)
        elif operator in _PARAMETER:
            state = state.copy()
            state.parameters[_PARAMETER[operator]] = instruction
        elif current is not None and current.origin is None and operator in ("Tm", "Do"):
            matrix = pikepdf.Matrix(*[float(v) for v in operands]) if operator == "Tm" else pikepdf.Matrix()
            placed = matrix @ state.ctm
            current.origin = (placed.e, placed.f)
    return sequences, states


def _artifact(sequence: MarkedSequence, height: float):
    """The BDC that marks a running title (top half of the page) or page number as an artifact."""
    top = sequence.origin is not None and sequence.origin[1] > height / 2
    properties = Dictionary(Type=Name.Pagination, Subtype=Name.Header if top else Name.Footer,
                            Attached=Array([Name.Top if top else Name.Bottom]))
    return pikepdf.ContentStreamInstruction([Name.Artifact, properties], pikepdf.Operator("BDC"))


def reorder(instructions: list, wanted: list[int], height: float) -> tuple[list, list[int]]:
    """The page's instructions with the MCIDs that are not in the tree (`wanted`, in tree
    order) made artifacts, and the tagged sequences painted in tree order and renumbered
    0, 1, 2 …; and the old MCIDs in their new paint order."""
    sequences, states = marked_sequences(instructions)
    tagged = set(wanted)
    by_mcid = {s.mcid: s for s in sequences if s.mcid in tagged}
    painted = [s.mcid for s in sequences if s.mcid in by_mcid]
    wanted = [m for m in wanted if m in by_mcid]
    fixed = {s.mcid for s in by_mcid.values() if not _balanced(instructions[s.start:s.end + 1])}
    rank = {m: i for i, m in enumerate(painted)}
    keep = set(_longest_increasing([m for m in wanted if m not in fixed], rank)) | fixed
    insert_before, insert_after = _insertion_points(wanted, keep, by_mcid)
    moved = {by_mcid[m].start: by_mcid[m] for m in wanted if m not in keep}
    starts = {s.start: s for s in sequences if s.mcid is not None}
    output: list = []
    paint_order: list[int] = []

    def begin(sequence: MarkedSequence):
        properties = Dictionary({k: v for k, v in instructions[sequence.start].operands[1].items()})
        properties.MCID = len(paint_order)
        paint_order.append(sequence.mcid)
        return pikepdf.ContentStreamInstruction([instructions[sequence.start].operands[0], properties],
                                                pikepdf.Operator("BDC"))

    def emit_moved(mcids: list[int], state: GraphicsState) -> None:
        for mcid in mcids:
            sequence = by_mcid[mcid]
            output.append(pikepdf.ContentStreamInstruction([], pikepdf.Operator("q")))
            output.extend(sequence.state.restore_from(state))
            output.append(begin(sequence))
            output.extend(instructions[sequence.start + 1:sequence.end + 1])
            output.append(pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q")))

    index = 0
    while index < len(instructions):
        if index in insert_before:
            emit_moved(insert_before[index], states[index])
        if index in moved:
            sequence = moved[index]
            # The state changes stay where the sequence was: what follows may rely on them.
            output.extend(i for i in instructions[sequence.start + 1:sequence.end]
                          if not isinstance(i, pikepdf.ContentStreamInlineImage)
                          and str(i.operator) in _STATE_OPERATORS)
            index = sequence.end + 1
            continue
        instruction = instructions[index]
        if index in starts:
            sequence = starts[index]
            instruction = begin(sequence) if sequence.mcid in tagged else _artifact(sequence, height)
        output.append(instruction)
        if index in insert_after:
            emit_moved(insert_after[index], states[index + 1] if index + 1 < len(states) else states[index])
        index += 1
    return output, paint_order


def _insertion_points(wanted: list[int], keep: set[int], by_mcid: dict) -> tuple[dict, dict]:
    """Where each moved sequence goes: before the next kept one in tree order, else after
    the last kept one ({instruction index: [MCIDs]} for both)."""
    insert_before: dict[int, list[int]] = {}
    insert_after: dict[int, list[int]] = {}
    for position, mcid in enumerate(wanted):
        if mcid in keep:
            continue
        following = next((m for m in wanted[position + 1:] if m in keep), None)
        if following is not None:
            insert_before.setdefault(by_mcid[following].start, []).append(mcid)
        else:
            preceding = next(m for m in reversed(wanted[:position]) if m in keep)
            insert_after.setdefault(by_mcid[preceding].end, []).append(mcid)
    return insert_before, insert_after


def _balanced(instructions: list) -> bool:
    depth = 0
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        depth += {"q": 1, "Q": -1}.get(str(instruction.operator), 0)
        if depth < 0:
            return False
    return depth == 0


def _longest_increasing(sequence: list[int], rank: dict[int, int]) -> list[int]:
    """The longest subsequence of `sequence` whose ranks increase (those need not move)."""
    tails: list[int] = []
    tail_index: list[int] = []
    previous = [-1] * len(sequence)
    for position, item in enumerate(sequence):
        value = rank[item]
        slot = bisect.bisect_left(tails, value)
        if slot == len(tails):
            tails.append(value)
            tail_index.append(position)
        else:
            tails[slot] = value
            tail_index[slot] = position
        previous[position] = tail_index[slot - 1] if slot else -1
    result: list[int] = []
    position = tail_index[-1] if tail_index else -1
    while position >= 0:
        result.append(sequence[position])
        position = previous[position]
    return result[::-1]
