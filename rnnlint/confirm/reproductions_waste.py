"""Reproductions of the waste rules (RNN501, RNN502): the part every call throws away exists, and is not needed.

The program calls the layer as the analysis knows it, shows what the call
returns, then builds the same layer without the flag, gives it the same
weights, and compares what the code keeps: identical items mean the flag
bought nothing but the discarded tensors.  That every call discards them is
the analysis' knowledge (which items each call keeps); the program states it.
"""

from __future__ import annotations

from dataclasses import replace

from rnnlint.analysis.facts import LayerSummary
from rnnlint.analysis.values import Layer
from rnnlint.confirm.builders import reproduces
from rnnlint.confirm.program import NotCheckable, Reproduction, Sketch
from rnnlint.rules._base import Finding
from rnnlint.rules._waste import positions


@reproduces("RNN501")
def discarded_sequences(fact: LayerSummary, finding: Finding, sketch: Sketch) -> Reproduction:
    return _discarded(fact, sketch, flag="return_sequences", states=False)


@reproduces("RNN502")
def discarded_states(fact: LayerSummary, finding: Finding, sketch: Sketch) -> Reproduction:
    return _discarded(fact, sketch, flag="return_state", states=True)


def _discarded(fact: LayerSummary, sketch: Sketch, *, flag: str, states: bool) -> Reproduction:
    if not fact.layers:
        raise NotCheckable("the layer is not known")
    layer = fact.layers[0]
    items = layer.returned_items()
    dropped = positions(layer, states=states)
    if items is None or not dropped or not layer.calls or any(call.kept is None for call in layer.calls):
        raise NotCheckable(f"what each call of {layer.label_text} keeps is not known")
    kept = sorted({i for call in layer.calls for i, keeps in enumerate(call.kept or ()) if keeps})
    if set(kept) & set(dropped):
        raise NotCheckable("a call keeps what the finding says is discarded")
    x = sketch.input_for(layer)
    built = sketch.build(layer, "layer")
    lean = sketch.build(_with_flag(layer, flag, False), "without_flag")
    what = "sequence output is" if not states else "states are"
    sketch.setup(f"kept, dropped = {kept!r}, {list(dropped)!r}  # items of the result, as the analysis read the code")
    sketch.setup(
        "def structure(item):\n"
        '    """Shapes, keeping the nesting of stacked cells\' states ([h, c] of an LSTM cell)."""\n'
        "    return [structure(part) for part in item] if isinstance(item, (list, tuple)) else shape(item)"
    )
    sketch.trigger(f"data = random_like({x})")
    sketch.trigger(f"full = {built}(data)")
    sketch.trigger(f"{lean}(data)")
    sketch.trigger(f"{lean}.set_weights({built}.get_weights())")
    sketch.trigger(f"lean = {lean}(data)")
    sketch.trigger("full_items = list(full) if isinstance(full, (list, tuple)) else [full]")
    sketch.trigger("lean_items = list(lean) if isinstance(lean, (list, tuple)) else [lean]")
    sketch.trigger("shapes = [structure(item) for item in full_items]")
    sketch.trigger(
        f"observe(f'with {flag}=True a call returns {{shapes}}; every call keeps items {{kept}} and drops {{dropped}}')"
    )
    sketch.trigger(
        "difference = max((float(np.abs(np.asarray(full_items[i]) - np.asarray(lean_items[i])).max()) "
        "for i in kept), default=0.0)"
    )
    condition = "len(full_items) > max(dropped) and difference == 0.0"
    if not states:
        # The discarded part really is a sequence: (batch, time, ...) like the input.
        condition += " and all(len(shapes[i]) == len(shape(data)) for i in dropped)"
    unchanged = (
        f"without {flag}=True the items the code keeps are identical (largest difference {{difference}})"
        if kept else "the code keeps no item of the result"
    )
    sketch.trigger(
        f"if {condition}:\n"
        f"    confirmed(f'the {what} computed at every call ({{[shapes[i] for i in dropped]}}) and thrown away: "
        f"{unchanged}')"
    )
    return sketch.reproduction(expects_silence=True)


def _with_flag(layer: Layer, flag: str, value: bool) -> Layer:
    """A copy of `layer` with one flag changed (inside Bidirectional, on the wrapped layer)."""
    if layer.is_bidirectional and layer.wrapped is not None:
        return replace(layer, wrapped=replace(layer.wrapped, **{flag: value}))
    return replace(layer, **{flag: value})
