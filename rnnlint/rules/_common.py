"""Phrases and small questions several rules share (no analysis happens here)."""

from __future__ import annotations

from rnnlint.analysis.values import Layer, Tensor, Value
from rnnlint.keras import catalogue
from rnnlint.keras.catalogue import ReturnedItem


def item_names(items: tuple) -> str:
    """`output, h, c` / `output, forward h, backward h` / `output, [h, c], [h, c]`."""

    def name(item: ReturnedItem | tuple) -> str:
        if isinstance(item, tuple):
            return "[" + ", ".join(name(i) for i in item) + "]"
        return f"{item.direction} {item.role}".strip() if item.direction else item.role

    return ", ".join(name(i) for i in items)


def tensors(count: int) -> str:
    return f"{count} tensor" if count == 1 else f"{count} tensors"


def returns_phrase(layer: Layer) -> str:
    """`returns 1 tensor (return_state=False)` / `returns 3 tensors (output, h, c)`."""
    items = layer.returned_items() or ()
    if len(items) == 1:
        return f"returns {tensors(1)} (return_state=False)"
    return f"returns {tensors(len(items))} ({item_names(items)})"


def count_with_state(layer: Layer) -> int | None:
    """How many tensors the layer would return with return_state=True."""
    kinds = layer.state_kinds
    if kinds is None:
        return None
    merge_none = layer.merge_mode_none if layer.is_bidirectional else False
    if merge_none is None:
        return None
    return len(
        catalogue.returned_items(kinds, return_state=True, bidirectional=layer.is_bidirectional, merge_mode_none=merge_none)
    )


def recurrent_output(value: Value) -> Tensor | None:
    """The value if it is a recurrent layer's main output (not a state) with a known time axis."""
    if (
        isinstance(value, Tensor)
        and value.producer is not None
        and value.producer.is_recurrent
        and value.state is None
        and value.time is not None
    ):
        return value
    return None


def consumer_name(layer: Layer | None) -> str:
    if layer is None:
        return "an operator"
    return layer.label_text
