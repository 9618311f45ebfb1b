"""Phrases and small questions several rules share (no analysis happens here)."""

from __future__ import annotations

import ast

from rnnlint.analysis.values import Layer, LayerCall, Tensor, Value
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


def keyword_node(layer: Layer, name: str) -> ast.keyword | None:
    """The `name=...` argument written in the layer's construction (the wrapped layer's, for Bidirectional)."""
    for candidate in (layer, layer.wrapped):
        if candidate is None:
            continue
        found = next((k for k in candidate.node.keywords if k.arg == name), None)
        if found is not None:
            return found
    return None


def producing_call(tensor: Tensor) -> LayerCall | None:
    """The recorded call of a recurrent layer that produced `tensor`."""
    if tensor.producer is None or tensor.call is None:
        return None
    return tensor.producer.call_at(tensor.call)


def is_decoder_output(tensor: Tensor) -> bool:
    """True for the output of a recurrent call that received `initial_state=` (a decoder, in RULES.md's words)."""
    call = producing_call(tensor)
    return call is not None and call.initial_state is not None


def describe_tensor(tensor: Tensor) -> str:
    """`h of LSTM 'encoder' (line 4)` / `the output of Dense 'init' (line 6)` / `merged h states` / `a tensor`."""
    if tensor.producer is not None and tensor.direct:
        part = tensor.state or "output"
        if tensor.direction:
            part = f"{tensor.direction} {part}"
        return f"{part} of {tensor.producer.label_text}"
    if tensor.projection is not None:
        return f"the output of {tensor.projection.label_text}"
    if tensor.state is not None:
        return f"merged {tensor.state} states"
    if tensor.shape is not None:
        return f"the keras.Input of shape {tensor.shape}"
    if tensor.producer is not None:
        return f"a tensor computed from {tensor.producer.label_text}"
    return "a tensor"


def class_name_node(call: ast.Call) -> ast.AST:
    """The expression naming the class of a construction: `tf.keras.layers.CuDNNLSTM` in `tf.keras.layers.CuDNNLSTM(64)`."""
    return call.func
