"""Reproductions of the construction rules (RNN401-RNN405).

- RNN401/RNN402: constructing the layer with the keyword (or reaching the
  class) under the targeted Keras raises; the worker runs the target's Keras.
  For a Keras-1 name the fix renames (`inner_activation`), the setup first
  builds the layer with the current name, which must not raise.
- RNN403: Keras' own cuDNN eligibility test (`program.CUDNN_CHECK`) says no for
  the layer with the argument, and yes for the same layer without it.
- RNN404: an unknown length makes Keras raise once it traces the unrolled
  layer without a fixed length; a long one is shown by the graph growing by one
  cell per step.
- RNN405: step 0 of a go_backwards output is shown to belong to the input's
  last step, by moving the first and the last step of a ramp input.
"""

from __future__ import annotations

import ast

from rnnlint.analysis.facts import Imported, LayerBuilt, LayerCalled, Merged
from rnnlint.analysis.values import DYNAMIC, Const, Layer, Ref, Tensor, opposite_sequences
from rnnlint.confirm.builders import reproduces
from rnnlint.confirm.program import CUDNN_CHECK, NotCheckable, Reproduction, Sketch, with_keywords
from rnnlint.keras import catalogue
from rnnlint.rules._base import Finding

# Sequence lengths at which RNN404 measures the unrolled graph (its growth per step is the point).
_MEASURED_STEPS = (4, 8)


@reproduces("RNN401")
def unknown_keyword(fact: LayerBuilt, finding: Finding, sketch: Sketch) -> Reproduction:
    return _construct_with_keyword(fact.layer, _keyword(finding), sketch)


@reproduces("RNN402")
def removed_api(fact: LayerBuilt | Imported, finding: Finding, sketch: Sketch) -> Reproduction:
    if isinstance(fact, Imported):
        # The import itself, from the targeted Keras' layers package.
        name = fact.canonical.removeprefix("layers.")
        sketch.trigger(f"exec('from ' + keras.__name__ + '.layers import {name}')")
        return sketch.reproduction()
    layer = fact.layer
    if isinstance(finding.node, ast.keyword):
        if finding.fix is not None:
            _construct_with_current_name(layer, finding.node, sketch)
        return _construct_with_keyword(layer, finding.node, sketch)
    # A removed class: the targeted Keras has no such attribute.
    units = sketch.size(layer.units)
    if catalogue.is_v1_path(layer.qualified):
        sketch.note("reached as keras.layers: the rule reports tf.compat.v1 paths only for Keras 3, which has none")
    sketch.trigger(f"layer = keras.layers.{layer.class_name}({units})")
    return sketch.reproduction()


def _construct_with_current_name(layer: Layer, keyword: ast.keyword, sketch: Sketch) -> None:
    """A Keras-1 name the fix renames: the targeted Keras must accept the current name (in the setup)."""
    from rnnlint.keras.signatures import keras1_names

    legacy = keras1_names(layer.class_name)
    name = legacy.names.get(keyword.arg or "") if legacy is not None else None
    if name is None or name.new in ("units", "filters"):
        return  # the sketch passes those itself
    value = _literal_code(keyword.value)
    if name.values:
        literal = ast.literal_eval(value) if value is not None else None
        value = next((repr(new) for old, new in name.values if type(old) is type(literal) and old == literal), None)
    if value is None:
        return
    sketch.setup(f"accepted = {with_keywords(sketch.layer(layer), {name.new: value})}")
    sketch.note(f"the setup builds the layer with {name.new}={value}: the targeted Keras accepts the current name")


def _construct_with_keyword(layer: Layer, keyword: ast.keyword, sketch: Sketch) -> Reproduction:
    """Build the layer as the analysis knows it, plus the keyword: the targeted Keras must refuse it."""
    name = keyword.arg
    assert name is not None
    if layer.recurrent is not None and layer.recurrent.removed_in_keras3:
        raise NotCheckable(f"{layer.class_name} itself does not exist in Keras 3")
    value = _literal_code(keyword.value)
    if value is None:
        value = "None"
        sketch.note(f"the value of {name}= is not a literal; None stands in (Keras refuses the keyword, whatever its value)")
    sketch.trigger(f"layer = {with_keywords(sketch.layer(layer), {name: value})}")
    return sketch.reproduction()


@reproduces("RNN403")
def cudnn_ineligible(fact: LayerBuilt, finding: Finding, sketch: Sketch) -> Reproduction:
    layer = fact.layer
    keyword = _keyword(finding)
    name = keyword.arg
    assert name is not None
    value = _known_value_code(layer, name)
    if value is None:
        raise NotCheckable(f"the value of {name}= is not known")
    sketch.setup(CUDNN_CHECK)
    # The layer with only this argument added, and the same layer without it.
    built = sketch.name("layer")
    sketch.setup(f"{built} = {with_keywords(sketch.layer(layer), {name: value})}")
    control = sketch.build(layer, "control")
    sketch.setup(f"argument = {f'{name}={value}'!r}")
    sketch.trigger(f"eligible, test = cudnn_eligible({built})")
    sketch.trigger(f"control_eligible, _ = cudnn_eligible({control})")
    sketch.trigger(
        f"observe(f'{{test}}: {layer.class_name} without the argument: {{control_eligible}}; with {{argument}}: {{eligible}}')"
    )
    sketch.trigger(
        "if control_eligible and not eligible:\n"
        f"    confirmed(f\"Keras' own cuDNN test rejects {layer.class_name} with {{argument}} and passes the same layer "
        "without it ({test}): on a GPU it runs the generic implementation\")"
    )
    return sketch.reproduction(expects_silence=True)


@reproduces("RNN404")
def unroll_long_sequence(fact: LayerCalled, finding: Finding, sketch: Sketch) -> Reproduction:
    layer = fact.layer
    inputs = fact.inputs
    if not isinstance(inputs, Tensor) or inputs.steps is None:
        raise NotCheckable("the length of the layer's input is not known")
    sides = [sketch.placeholder("SIDE", 3, "size of each spatial axis")] * layer.spatial_dims
    features = sketch.placeholder("FEATURES")
    unrolled = sketch.layer(layer, {"unroll": "True"})
    if inputs.steps == DYNAMIC:
        x = sketch.name("x")
        sketch.setup(f"{x} = keras.Input(shape=(None, {', '.join(sides + [features])}))")
        sketch.setup(f"layer = {unrolled}")
        sketch.trigger(f"model = keras.Model({x}, first(layer({x})))")
        # One length at a time works: predict traces each fixed length.  A second length makes
        # TensorFlow retrace with the time dimension left undefined, and Keras 3 raises then
        # (tf-keras raises already when the model is built).
        sketch.trigger(
            "for steps in (TIME, TIME + 1, TIME + 2):\n"
            f"    data = np.random.default_rng(steps).random((BATCH, steps, {', '.join(sides + [features])}), "
            "dtype='float32')\n"
            "    model.predict(data, verbose=0)\n"
            "    observe(f'predict on {steps} steps ran')"
        )
        return sketch.reproduction()
    steps = inputs.steps
    looped = sketch.layer(layer)
    sketch.setup("import tensorflow as tf")
    sketch.setup(
        "def graph_operations(layer, steps):\n"
        '    """Operations in the graph TensorFlow traces for one call of the layer on `steps` steps."""\n'
        f"    layer(np.zeros((1, steps, {', '.join(sides + [features])}), dtype='float32'))  # build it first\n"
        f"    spec = tf.TensorSpec((None, steps, {', '.join(sides + [features])}), tf.float32)\n"
        "    return len(tf.function(lambda t: layer(t)).get_concrete_function(spec).graph.get_operations())"
    )
    short, longer = _MEASURED_STEPS
    sketch.trigger(f"unrolled = [graph_operations({unrolled}, steps) for steps in {_MEASURED_STEPS!r}]")
    sketch.trigger(f"looped = [graph_operations({looped}, steps) for steps in {_MEASURED_STEPS!r}]")
    sketch.trigger(f"per_step = (unrolled[1] - unrolled[0]) / {longer - short}")
    sketch.trigger(
        "if per_step > 0 and looped[0] == looped[1]:\n"
        f"    confirmed(f'unrolled, the graph holds {{unrolled[0]}} operations at {short} steps and {{unrolled[1]}} "
        f"at {longer} ({{per_step:g}} per step); not unrolled, {{looped[0]}} at any length: at {steps} steps about "
        f"{{unrolled[0] + per_step * ({steps} - {short}):,.0f}} operations')"
    )
    sketch.note(f"the graph is measured at {short} and {longer} steps, and its size at {steps} steps extrapolated")
    return sketch.reproduction(expects_silence=True)


@reproduces("RNN405")
def go_backwards_not_reversed(fact: Merged, finding: Finding, sketch: Sketch) -> Reproduction:
    found = opposite_sequences(fact.values)
    if found is None:
        raise NotCheckable("the merged sequences' time order is not known")
    backwards, forwards, reversing = found
    if backwards.producer is not reversing or not backwards.direct:
        sketch.note(f"the go_backwards layer ({reversing.display_class}) is run alone; what follows it keeps the order")
    sides = [sketch.placeholder("SIDE", 3, "size of each spatial axis")] * reversing.spatial_dims
    dims = ", ".join(["BATCH", "TIME", *sides, sketch.placeholder("FEATURES")])
    sketch.placeholder("TIME")
    backward = sketch.build(reversing, "backward")
    forward_layer = forwards.producer if _runs_forwards(forwards.producer) else None
    forward = sketch.build(forward_layer, "forward") if forward_layer is not None else None
    sketch.setup(f"ramp = np.linspace(0.0, 1.0, {dims.replace(', ', ' * ')}, dtype='float32').reshape(({dims}))")
    sketch.setup(
        "def moved(step):\n"
        '    """The ramp with one time step changed."""\n'
        "    data = ramp.copy()\n"
        "    data[:, step] += 1.0\n"
        "    return data\n\n\n"
        "def step_zero_moves(layer, step):\n"
        '    """How much step 0 of the layer\'s output changes when input step `step` changes."""\n'
        "    base = np.asarray(first(layer(ramp)))[:, 0]\n"
        "    return float(np.abs(np.asarray(first(layer(moved(step))))[:, 0] - base).max())"
    )
    sketch.trigger(f"by_first, by_last = step_zero_moves({backward}, 0), step_zero_moves({backward}, -1)")
    sketch.trigger(
        "observe(f'step 0 of the go_backwards output moves by {by_first:g} when input step 0 changes, "
        "by {by_last:.3g} when input step {TIME - 1} changes')"
    )
    condition = "by_first == 0.0 and by_last > 0.0"
    if forward is not None:
        sketch.trigger(f"forward_first, forward_last = step_zero_moves({forward}, 0), step_zero_moves({forward}, -1)")
        sketch.trigger(
            "observe(f'step 0 of the forward output moves by {forward_first:.3g} when input step 0 changes, "
            "by {forward_last:g} when input step {TIME - 1} changes')"
        )
        condition += " and forward_first > 0.0 and forward_last == 0.0"
        partner = f"step 0 of the output of {forward_layer.display_class} belongs to input step 0"
    else:
        partner = "step 0 of the forward sequence is input step 0"
    sketch.trigger(
        f"if {condition}:\n"
        f"    confirmed(f'step 0 of the go_backwards output belongs to input step {{TIME - 1}} (it does not "
        f"change with input step 0), while {partner}: the merge pairs steps {{TIME - 1}} and 0')"
    )
    return sketch.reproduction(expects_silence=True)


# --- helpers ---------------------------------------------------------------------------------


def _keyword(finding: Finding) -> ast.keyword:
    if not isinstance(finding.node, ast.keyword) or finding.node.arg is None:
        raise NotCheckable("the finding does not point at a keyword argument")
    return finding.node


def _literal_code(node: ast.expr) -> str | None:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return ast.unparse(node)


def _known_value_code(layer: Layer, name: str) -> str | None:
    """The keyword's value as code: a literal, or an activation function as keras.activations.<name>."""
    value = layer.keywords.get(name)
    if isinstance(value, Const) and (value.value is None or isinstance(value.value, (bool, int, float, str))):
        return repr(value.value)
    if isinstance(value, Ref):
        activation = catalogue.activation_name(value.qualified)
        if activation is not None:
            return f"keras.activations.{activation}"
    return None


def _runs_forwards(layer: Layer | None) -> bool:
    return (
        layer is not None
        and layer.is_recurrent
        and not layer.is_bidirectional
        and layer.flag("go_backwards") is False
        and layer.flag("return_sequences") is True
    )

