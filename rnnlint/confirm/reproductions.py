"""One reproduction builder per rule code: the rule's claim, rewritten as a tiny Keras program.

A builder receives the fact the rule reported from, the finding, and a fresh
`Sketch`; it writes the program and returns the sketch's reproduction, or raises
`NotCheckable` with the reason.  A rule code without a builder is "not checkable"
(new rules plug in by registering a builder with `@reproduces`; see `BUILDERS`).
The rank and structure rules (RNN1xx, RNN2xx) are here; the state rules are in
`reproductions_states.py`, construction rules in `reproductions_construction.py`,
waste in `reproductions_waste.py`.

Every program runs on Keras 3 and on tf-keras 2 (the worker's `keras`): it
uses `keras.Input`, `keras.layers.*`, `keras.Model`, `keras.Sequential`, numpy
and the helpers in `program.PRELUDE`; the few that read Keras' internals (the
cuDNN eligibility check) say so and handle both.
"""

from __future__ import annotations

import ast

from rnnlint.analysis.facts import Consumed, Indexed, ModelBuilt, Role, SequentialBuilt, Unpacked
from rnnlint.analysis.values import DYNAMIC, Layer, Outputs, Sequence, Tensor, Value
from rnnlint.confirm.builders import BUILDERS, reproduces
from rnnlint.confirm.program import NotCheckable, Reproduction, Sketch
from rnnlint.rules._base import Finding
from rnnlint.rules._common import producing_call, recurrent_output
from rnnlint.rules._states import needed_states


def build(code: str, fact: object, finding: Finding) -> Reproduction:
    """The reproduction of one finding; raises NotCheckable when there is none."""
    builder = BUILDERS.get(code)
    if builder is None:
        raise NotCheckable(f"no reproduction is written for {code} yet")
    return builder(fact, finding, Sketch())


# --- helpers ----------------------------------------------------------------------------------


def producer_of(value: Value) -> Layer:
    if isinstance(value, Outputs):
        return value.producer
    if isinstance(value, Tensor) and value.producer is not None:
        return value.producer
    raise NotCheckable("the layer that produced this value is not known")


def call_producer(sketch: Sketch, producer: Layer) -> tuple[str, str, str]:
    """Build the producer and an input for it, and call it: (input, layer, result) variables."""
    x = sketch.input_for(producer)
    layer = sketch.build(producer, "layer")
    result = sketch.name("result")
    sketch.trigger(f"{result} = {layer}({x})")
    return x, layer, result


def shapes_text(expression: str) -> str:
    """An f-string fragment describing a call result: a shape, or a list of shapes."""
    return (
        f"{{[shape(t) for t in {expression}] if isinstance({expression}, (list, tuple)) else shape({expression})}}"
    )


def used_through_other_layers(value: Value, sketch: Sketch) -> None:
    if isinstance(value, Tensor) and not value.direct:
        sketch.note("layers between the producer and the consumer that keep the axes are left out")


# --- RNN1xx: output structure -----------------------------------------------------------------


@reproduces("RNN101")
def unpack_arity(fact: Unpacked, finding: Finding, sketch: Sketch) -> Reproduction:
    producer = producer_of(fact.value)
    x, layer, result = call_producer(sketch, producer)
    names = [f"item_{i}" for i in range(fact.targets)]
    if fact.starred:
        names[-1] = "*rest"
    sketch.trigger(f"{', '.join(names)} = {result}")
    if not isinstance(fact.value, Outputs):
        # Eager code does not raise: it unpacks the batch axis.  Show it with a batch of N rows.
        sketch.aside(f"rows = list({layer}(random_like({x})[:1].repeat({fact.targets}, axis=0)))")
        sketch.aside(
            "observe(f'eagerly, unpacking iterated the batch axis: {len(rows)} rows of shape {shape(rows[0])}')"
        )
    return sketch.reproduction()


@reproduces("RNN102")
def states_without_return_state(fact: Indexed | Consumed, finding: Finding, sketch: Sketch) -> Reproduction:
    producer = producer_of(fact.value)
    if isinstance(fact, Indexed):
        _, _, result = call_producer(sketch, producer)
        index = ast.unparse(fact.node.slice)
        sketch.trigger(f"picked = {result}[{index}]")
        sketch.trigger(
            f"if not isinstance({result}, (list, tuple)):\n"
            f"    confirmed(f'the layer returned one tensor of shape {{shape({result})}}; [{index}] picked "
            f"{shapes_text('picked')}: rows of the batch, not states')"
        )
        return sketch.reproduction()
    receiver = fact.consumer
    if receiver is None or not receiver.is_recurrent:
        raise NotCheckable("the layer receiving initial_state is not known")
    x = sketch.input_for(producer)
    sequence = sketch.input_for(receiver, "decoder_input")
    encoder = sketch.build(producer, "encoder")
    decoder = sketch.build(receiver, "decoder")
    sketch.trigger(f"output = {decoder}({sequence}, initial_state={encoder}({x}))")
    sketch.trigger(f"model = keras.Model([{x}, {sequence}], output)")
    sketch.trigger(f"model.predict(random_like({x}, {sequence}), verbose=0)")
    return sketch.reproduction()


@reproduces("RNN103")
def state_list_as_tensor(fact: Consumed, finding: Finding, sketch: Sketch) -> Reproduction:
    producer = producer_of(fact.value)
    x, _, result = call_producer(sketch, producer)
    if fact.role is Role.ARITHMETIC:
        node = fact.node
        if not isinstance(node, (ast.BinOp, ast.AugAssign)):
            raise NotCheckable("the arithmetic is not a binary operation")
        symbol = _OPERATORS.get(type(node.op))
        if symbol is None:
            raise NotCheckable(f"the operator {type(node.op).__name__} is not reproduced")
        other, list_on_left = _other_operand(node, result)
        sketch.trigger(f"combined = {result} {symbol} {other}" if list_on_left else f"combined = {other} {symbol} {result}")
        sketch.trigger(
            "if isinstance(combined, (list, tuple)):\n"
            f"    confirmed(f'the arithmetic gave a {{type(combined).__name__}} of {{len(combined)}} tensors, not a tensor')\n"
            f"elif shape(combined) != shape(first({result})):\n"
            f"    confirmed(f'the list was stacked into one tensor of shape {{shape(combined)}}')"
        )
        return sketch.reproduction()
    if fact.role is Role.OPERAND:
        callee, rest = _operation(fact.node, sketch)
        sketch.trigger(f"operated = {callee}({result}{rest})")
        sketch.trigger(
            "if isinstance(operated, (list, tuple)):\n"
            f"    confirmed(f'{callee} gave a {{type(operated).__name__}} of {{len(operated)}} tensors, not a tensor')\n"
            f"elif shape(operated) != shape({callee}(first({result}){rest})):\n"
            f"    confirmed(f'the list was stacked into one tensor: {callee} gave shape {{shape(operated)}}')"
        )
        return sketch.reproduction()
    consumer = fact.consumer
    if consumer is None:
        raise NotCheckable("the consumer is not known")
    built = sketch.build(consumer, "consumer")
    sketch.trigger(f"consumed = {built}({result})")
    sketch.trigger(f"model = keras.Model({x}, consumed)")
    sketch.trigger(f"model.predict(random_like({x}), verbose=0)")
    return sketch.reproduction()


def _operation(node: ast.AST, sketch: Sketch) -> tuple[str, str]:
    """The function a list was passed to, as the reproduction calls it, and its other (literal) arguments."""
    if not isinstance(node, ast.Call) or node.args[1:] and not all(_literal(a) for a in node.args[1:]):
        raise NotCheckable("the function's other arguments are not literals")
    if not all(k.arg is not None and _literal(k.value) for k in node.keywords):
        raise NotCheckable("the function's other arguments are not literals")
    function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    dotted = ast.unparse(node.func)
    if ".ops." in f".{dotted}" or dotted.startswith("ops."):
        callee = f"keras.ops.{function}"
    elif "activations" in dotted:
        callee = f"keras.activations.{function}"
    elif dotted.startswith(("tf.", "tensorflow.")):
        sketch.trigger("import tensorflow as tf")
        callee = f"tf.{dotted.split('.', 1)[1]}"
    else:
        raise NotCheckable(f"{dotted} is not reproduced")
    rest = "".join(f", {ast.unparse(a)}" for a in node.args[1:]) + "".join(
        f", {k.arg}={ast.unparse(k.value)}" for k in node.keywords
    )
    return callee, rest


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except ValueError:
        return False
    return True


_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.MatMult: "@", ast.FloorDiv: "//"}


def _other_operand(node: ast.BinOp | ast.AugAssign, result: str) -> tuple[str, bool]:
    """The operand that is not the list, as code, and whether the list is on the left."""
    left = node.target if isinstance(node, ast.AugAssign) else node.left
    right = node.value if isinstance(node, ast.AugAssign) else node.right
    # The interpreter records the list operand; a literal on one side tells which side it is not.
    for other, list_on_left in ((right, True), (left, False)):
        try:
            return repr(ast.literal_eval(other)), list_on_left
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
    return f"first({result})", True


@reproduces("RNN104")
def multi_output_in_sequential(fact: SequentialBuilt, finding: Finding, sketch: Sketch) -> Reproduction:
    placements = fact.model.placements
    index = next((i for i, place in enumerate(placements) if place is finding.node), None)
    if index is None or index + 1 >= len(fact.model.layers):
        raise NotCheckable("the layer's place in the Sequential is not known")
    layer, following = fact.model.layers[index], fact.model.layers[index + 1]
    if not isinstance(layer, Layer):
        raise NotCheckable("the layer is not known")
    x = sketch.input_for(layer)
    if index > 0:
        sketch.note("the layers before it in the Sequential are replaced by an Input")
    built = sketch.build(layer, "layer")
    after = sketch.build(following, "following") if isinstance(following, Layer) else None
    if after is None:
        after = sketch.name("following")
        sketch.setup(f"{after} = keras.layers.Dense({sketch.placeholder('DENSE_UNITS', 4, 'units of a Dense layer')})")
        sketch.note("the layer after it is not known; a Dense stands in for it")
    sketch.trigger(f"model = keras.Sequential([{x}, {built}, {after}])")
    sketch.trigger(f"model.predict(random_like({x}), verbose=0)")
    return sketch.reproduction()


# --- RNN2xx: rank -----------------------------------------------------------------------------


@reproduces("RNN201")
def last_step_to_sequence_consumer(fact: Consumed, finding: Finding, sketch: Sketch) -> Reproduction:
    return _rank_mismatch(fact, sketch)


@reproduces("RNN203")
def sequence_to_step_consumer(fact: Consumed, finding: Finding, sketch: Sketch) -> Reproduction:
    return _rank_mismatch(fact, sketch)


def _rank_mismatch(fact: Consumed, sketch: Sketch) -> Reproduction:
    producer = producer_of(fact.value)
    if fact.consumer is None:
        raise NotCheckable("the consumer is not known")
    used_through_other_layers(fact.value, sketch)
    x = sketch.input_for(producer)
    built = sketch.build(producer, "producer")
    consumer = sketch.build(fact.consumer, "consumer")
    if fact.in_sequential:
        sketch.trigger(f"model = keras.Sequential([{x}, {built}, {consumer}])")
    else:
        sketch.trigger(f"output = {consumer}(first({built}({x})))")
        sketch.trigger(f"model = keras.Model({x}, output)")
    sketch.trigger(f"model.predict(random_like({x}), verbose=0)")
    return sketch.reproduction()


@reproduces("RNN202")
def attention_over_last_step(fact: Consumed, finding: Finding, sketch: Sketch) -> Reproduction:
    producer = producer_of(fact.value)
    used_through_other_layers(fact.value, sketch)
    source = sketch.input_for(producer, "source")
    encoder = sketch.build(producer, "encoder")
    sketch.trigger(f"memory = first({encoder}({source}))")
    attention = fact.consumer
    # Attention and AdditiveAttention accept a 2-D memory without a word; MultiHeadAttention
    # (and GroupedQueryAttention) build the model but raise when it runs, which confirms too.
    silent = attention is None or attention.class_name in ("Attention", "AdditiveAttention")
    if attention is not None and attention.is_attention:
        # Run the attention too: the finding says Keras accepts it without a word.
        query = sketch.name("query")
        width = "memory.shape[-1]"
        sketch.trigger(f"{query} = keras.Input(shape=(TIME, {width}))")
        layer = sketch.build(attention, "attention")
        if attention.class_name in ("Attention", "AdditiveAttention"):
            sketch.trigger(f"context = {layer}([{query}, memory])")
        else:
            sketch.trigger(f"context = {layer}({query}, memory)")
        sketch.trigger(f"model = keras.Model([{source}, {query}], context)")
        sketch.trigger(f"model.predict(random_like({source}, {query}), verbose=0)")
    else:
        sketch.note("the attention class is your own code and is not run; the encoder's output is checked")
    sketch.trigger(
        "if len(shape(memory)) == 2:\n"
        f"    confirmed(f'attention {fact.role.value} has shape {{shape(memory)}}: one step')"
    )
    return sketch.reproduction(expects_silence=silent)


@reproduces("RNN204")
def decoder_emits_last_step(fact: Consumed | ModelBuilt, finding: Finding, sketch: Sketch) -> Reproduction:
    if isinstance(fact, Consumed):
        decoded, projection = fact.value, fact.consumer
    else:
        decoded, projection = _token_output(fact, finding)
    if not isinstance(decoded, Tensor) or projection is None:
        raise NotCheckable("the decoder's output is not known")
    produced = recurrent_output(decoded)
    call = producing_call(produced) if produced is not None else None
    if produced is None or call is None or call.initial_state is None:
        raise NotCheckable("the decoder's call is not known")
    decoder = produced.producer
    assert decoder is not None
    count = needed_states(decoder)
    if count is None:
        raise NotCheckable(f"the states {decoder.label_text} carries are not known")
    if isinstance(fact, Consumed):
        used_through_other_layers(decoded, sketch)
    steps = call.inputs.steps if isinstance(call.inputs, Tensor) else None
    time = str(steps) if steps is not None and steps != DYNAMIC and 1 < steps <= 64 else sketch.placeholder("TIME")
    sequence = sketch.name("decoder_input")
    sketch.setup(f"{sequence} = keras.Input(shape=({time}, {sketch.placeholder('FEATURES')}))")
    width = decoder.state_units
    width_text = sketch.size(width)
    states = [sketch.name("state") for _ in range(count)]
    for state in states:
        sketch.setup(f"{state} = keras.Input(shape=({width_text},))")
    sketch.note("the decoder's initial states are keras.Inputs of its width (where they came from does not matter here)")
    if isinstance(call.inputs, Tensor) and call.inputs.vocabulary is not None:
        sketch.note("the decoder reads a float sequence in place of the embedded or one-hot tokens")
    built = sketch.build(decoder, "decoder")
    projector = sketch.build(projection, "projection")
    sketch.trigger(f"decoded = first({built}({sequence}, initial_state=[{', '.join(states)}]))")
    sketch.trigger(f"observe(f'the decoder reads {{shape({sequence})}} and returns {{shape(decoded)}}')")
    sketch.trigger(f"projected = {projector}(decoded)")
    sketch.trigger(f"model = keras.Model([{sequence}, {', '.join(states)}], projected)")
    sketch.trigger("model.predict(random_like(*model.inputs), verbose=0)")
    sketch.trigger(
        "if len(shape(projected)) == 2:\n"
        f"    confirmed(f'the model emits {{shape(projected)}}: one step per sample, while the decoder reads "
        f"{{shape({sequence})[1]}} steps: one token per step was expected')"
    )
    # A TimeDistributed raises when it is built (the rule says so); a Dense output is accepted silently.
    return sketch.reproduction(expects_silence=isinstance(fact, ModelBuilt))


def _token_output(fact: ModelBuilt, finding: Finding) -> tuple[Value, Layer | None]:
    """The decoder's output and the Dense that turns it into the model's token output (the finding's node)."""
    outputs = fact.outputs.items if isinstance(fact.outputs, (Sequence, Outputs)) else (fact.outputs,)
    for output in outputs:
        if not isinstance(output, Tensor) or output.projection is None:
            continue
        dense = output.projection
        if any(c.node is finding.node and c.result is output for c in dense.calls) or finding.node is fact.node:
            produced = recurrent_output(output)
            if produced is not None:
                return produced, dense
    return None, None


# The other rule families register their builders (rnnlint/confirm/builders.py) when imported.
from rnnlint.confirm import reproductions_construction, reproductions_states, reproductions_waste  # noqa: F401
