"""The words a graph uses: what a layer is, what travels on an edge, how to mend a finding.

Everything here reads abstract values as the interpreter left them; nothing is
inferred.  A size the analysis does not know is printed as `?`.
"""

from __future__ import annotations

import textwrap

from rnnlint.analysis.values import Layer, Outputs, Tensor, Value
from rnnlint.diagnostics import Diagnostic

# The first argument of a few common layers, worth showing on their node.
_SIZE_ARGUMENT = {"Dense": "units", "RepeatVector": "n", "Embedding": "input_dim"}
# Names of the spatial axes a ConvLSTMnD carries between time and channels.
_SPATIAL_AXES = {1: ("rows",), 2: ("rows", "cols"), 3: ("depth", "rows", "cols")}


def layer_title(layer: Layer) -> str:
    """`LSTM 'encoder'`, `Bidirectional(LSTM)`, `TimeDistributed(Dense)`."""
    kind = layer.display_class
    if layer.wrapped is not None and not layer.is_bidirectional:
        kind = f"{layer.class_name}({layer.wrapped.display_class})"
    return f"{kind} '{layer.label}'" if layer.label else kind


def layer_details(layer: Layer) -> tuple[str, ...]:
    """The settings that decide what the layer returns, one per line."""
    if layer.is_recurrent or layer.core is not None:
        size = "filters" if layer.spatial_dims else "units"  # ConvLSTMnD
        details = [f"{size}={_known(layer.state_units)}"]
        details.append(f"return_sequences={_known(layer.flag('return_sequences'))}")
        details.append(f"return_state={_known(layer.flag('return_state'))}")
        go_backwards = layer.flag("go_backwards")
        if go_backwards is not False:
            details.append(f"go_backwards={_known(go_backwards)}")
        if layer.is_bidirectional and layer.merge_mode_none is not False:
            details.append("merge_mode=None" if layer.merge_mode_none else "merge_mode=?")
        return tuple(details)
    sized = layer.wrapped if layer.wrapped is not None else layer
    argument = _SIZE_ARGUMENT.get(sized.class_name)
    return (f"{argument}={sized.units}",) if argument and sized.units is not None else ()


def value_label(value: Value) -> str:
    """What travels on an edge: `sequence (batch, time, 128)`, `last step (batch, 128)`, `state h (batch, 128)`."""
    if isinstance(value, Outputs):
        return f"list of {len(value.items)} [{', '.join(_item_name(i) for i in value.items)}]"
    if not isinstance(value, Tensor):
        return "?"
    if value.shape is not None:
        return "(" + ", ".join(["batch", *("None" if d is None else str(d) for d in value.shape)]) + ")"
    width = _known(value.width)
    spatial = _SPATIAL_AXES.get(value.spatial_dims or 0, ())
    direction = f"{value.direction} " if value.direction else ""
    if value.state is not None:
        return f"{direction}state {value.state} (batch, {', '.join([*spatial, width])})"
    if value.time is True:
        return f"{direction}sequence (batch, time, {', '.join([*spatial, width])})"
    if value.time is False:
        return f"{direction}last step (batch, {', '.join([*spatial, width])})"
    return f"{direction}tensor (batch, ..., {width})" if value.width is not None else f"{direction}tensor"


def advice(diagnostic: Diagnostic) -> str:
    """The short way out: the fix's title, else the message's own advice after its last `;`."""
    if diagnostic.fix is not None:
        text = diagnostic.fix.message
    else:
        text = diagnostic.message.rpartition("; ")[2]
    return text.replace("`", "")


def finding_lines(diagnostic: Diagnostic, width: int = 52) -> list[str]:
    """`RNN202: Set return_sequences=True on LSTM (line 9)`, wrapped for a label."""
    return textwrap.wrap(f"{diagnostic.code}: {advice(diagnostic)}", width) or [diagnostic.code]


def finding_tooltip(diagnostic: Diagnostic) -> str:
    return f"{diagnostic.code} (line {diagnostic.location.row}): {diagnostic.message}"


def _item_name(item: Value) -> str:
    if isinstance(item, Tensor) and item.state is not None:
        return item.state
    return "output" if isinstance(item, Tensor) else "..."


def _known(value: object) -> str:
    return "?" if value is None else str(value)
