"""Questions the waste rules (RNN501, RNN502) share: is a part of a layer's result thrown away at every call?

No analysis happens here: the interpreter recorded, per call, which items of the
result the code may use (`LayerCall.kept`) and whether the recorded calls are
all the calls the object receives (`Layer.calls_known`).
"""

from __future__ import annotations

from rnnlint.analysis.values import Layer


def positions(layer: Layer, *, states: bool) -> tuple[int, ...] | None:
    """Indices of the state items (or of the output items) in what a call of `layer` returns."""
    items = layer.returned_items()
    if items is None:
        return None
    return tuple(index for index, item in enumerate(items) if (isinstance(item, tuple) or item.is_state) == states)


def discarded_at_every_call(layer: Layer, *, states: bool) -> bool:
    """True when every call of `layer` certainly throws the states (or the outputs) away."""
    wanted = positions(layer, states=states)
    if not wanted or not layer.calls or not layer.calls_known or layer.mutated:
        return False
    inner = layer.wrapped
    if inner is not None and (inner.calls or not inner.calls_known or inner.mutated):
        return False  # the wrapped layer is also used on its own
    count = len(layer.returned_items() or ())
    for call in layer.calls:
        if call.kept is None or len(call.kept) != count or any(call.kept[i] for i in wanted):
            return False
    return True


def call_lines(layer: Layer) -> str:
    lines = sorted({call.node.lineno for call in layer.calls})  # type: ignore[attr-defined]
    shown = ", ".join(str(line) for line in lines[:3])
    return f"line {shown}" if len(lines) == 1 else f"lines {shown}" + (", ..." if len(lines) > 3 else "")
