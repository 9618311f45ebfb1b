"""Reproductions of the state rules (RNN301-RNN304): the states' producer, the receiver, and a tiny predict.

Keras builds most of these models without a word and fails when they run
(a matrix multiplication, an index into the state list), so every program
ends with a `predict` on random data.  One case runs cleanly in Keras 3: a GRU
given an LSTM's `[h, c]` ignores `c`; the program shows it by comparing the
receiver's output with the output it gives for `h` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rnnlint.analysis.facts import Consumed, LayerCalled
from rnnlint.analysis.values import DYNAMIC, Layer, Outputs, Tensor, Value
from rnnlint.confirm.builders import reproduces
from rnnlint.confirm.program import NotCheckable, Reproduction, Sketch
from rnnlint.rules._base import Finding
from rnnlint.rules._common import describe_tensor
from rnnlint.rules._states import given_states, kind_mismatch, needed_states


@dataclass
class States:
    """The `initial_state` argument rewritten as code: the expression, and what it needs."""

    argument: str
    inputs: list[str] = field(default_factory=list)  # symbolic inputs the model must list
    parts: list[str] = field(default_factory=list)  # one expression per state tensor, in order
    labels: list[str] = field(default_factory=list)  # what each part is, for the messages


@reproduces("RNN301")
def initial_state_count(fact: Consumed, finding: Finding, sketch: Sketch) -> Reproduction:
    receiver = _receiver(fact)
    states = write_states(sketch, fact.value, receiver)
    layer, output, model = _call_receiver(sketch, receiver, states)
    needed = needed_states(receiver)
    assert needed is not None
    if len(states.parts) > needed:
        # Keras 3 runs a layer given too many states: show that it reads the first ones only.
        first_ones = ", ".join(states.labels[:needed])
        rest = ", ".join(states.labels[needed:])
        _show_ignored(
            sketch, states, layer, output, model, states.parts[:needed],
            f"{receiver.display_class} ran with {len(states.parts)} tensors as its states and read only "
            f"{first_ones}: given {first_ones} alone it computes the same, so {rest} went unused",
        )
    return sketch.reproduction()


@reproduces("RNN302")
def state_width_mismatch(fact: Consumed, finding: Finding, sketch: Sketch) -> Reproduction:
    receiver = _receiver(fact)
    states = write_states(sketch, fact.value, receiver)
    _call_receiver(sketch, receiver, states)
    return sketch.reproduction()


@reproduces("RNN303")
def state_kind_mismatch(fact: Consumed, finding: Finding, sketch: Sketch) -> Reproduction:
    receiver = _receiver(fact)
    given = given_states(fact.value)
    found = kind_mismatch(receiver, given) if given is not None else None
    if found is None:
        raise NotCheckable("the states given are not known to be another layer's complete states")
    _, given_kind, needed_kind = found
    states = write_states(sketch, fact.value, receiver)
    layer, output, model = _call_receiver(sketch, receiver, states)
    if given_kind.count > needed_kind.count:
        # Keras 3 runs a GRU given [h, c]: show that it ignores what it was not made for.
        assert given is not None
        kept = [part for part, tensor in zip(states.parts, given) if tensor.state == "h"]
        ignored = ", ".join(name for name in given_kind.names if name != "h")
        _show_ignored(
            sketch, states, layer, output, model, kept,
            f"{receiver.display_class} ran with the {given_kind.label} states ({', '.join(given_kind.names)}) "
            f"and ignored {ignored}: its output equals its output given the h states alone",
        )
    return sketch.reproduction()


def _show_ignored(sketch: Sketch, states: States, layer: str, output: str, model: str, kept: list[str],
                  observation: str) -> None:
    """When the model ran, compare the receiver's output with its output given only `kept`."""
    sketch.trigger(f"alone = first({layer}({_sequence_input(states)}, initial_state=[{', '.join(kept)}]))")
    sketch.trigger(f"both = keras.Model({model}.inputs, [first({output}), alone])")
    sketch.trigger(f"with_all, with_kept = both.predict(random_like(*{model}.inputs), verbose=0)")
    sketch.trigger("difference = float(np.abs(with_all - with_kept).max())")
    sketch.trigger(f"if difference == 0.0:\n    confirmed(f{observation + ' (largest difference {difference})'!r})")


@reproduces("RNN304")
def stateful_without_batch_size(fact: LayerCalled, finding: Finding, sketch: Sketch) -> Reproduction:
    layer = fact.layer
    inputs = fact.inputs
    if not isinstance(inputs, Tensor):
        raise NotCheckable("the layer's input is not known")
    core = layer.core
    if core is None:
        raise NotCheckable(f"the recurrent layer in {layer.label_text} is not known")
    x = sketch.name("x")
    if inputs.shape is not None and all(d is None or isinstance(d, int) for d in inputs.shape):
        shape = repr(tuple(inputs.shape))
    else:
        steps = "None" if inputs.steps == DYNAMIC else _small(inputs.steps, sketch, "TIME")
        dims = [steps] + [sketch.placeholder("SIDE", 3, "size of each spatial axis")] * layer.spatial_dims
        shape = f"({', '.join(dims + [sketch.placeholder('FEATURES')])},)"
        sketch.note("the layers between the declared input and the stateful layer are left out")
    # As the analysed code declares it: no batch_size, no batch_shape.
    sketch.setup(f"{x} = keras.Input(shape={shape})")
    built = sketch.build(layer, "layer")
    sketch.trigger(f"output = first({built}({x}))")
    sketch.trigger(f"model = keras.Model({x}, output)")
    sketch.trigger(f"model.predict(random_like({x}), verbose=0)")
    return sketch.reproduction()


# --- writing the states --------------------------------------------------------------------------


def write_states(sketch: Sketch, value: Value, receiver: Layer) -> States:
    """The `initial_state` argument as the analysed code builds it.

    States returned by a recurrent call are made by building and calling that
    layer; a `keras.Input` placeholder is declared with its shape; any other
    tensor (a concatenation, a Dense) is replaced by an Input of the same width.
    """
    if isinstance(value, Outputs):
        # The whole result of a call, output included.
        result, x = _call_state_producer(sketch, value.producer)
        items = value.producer.returned_items() or ()
        labels = [_item_label(item) for item in items] if len(items) == len(value.items) else []
        labels = labels or [f"item {i}" for i in range(len(value.items))]
        return States(result, [x], [f"{result}[{i}]" for i in range(len(value.items))], labels)
    given = given_states(value)
    if given is None:
        raise NotCheckable("the tensors passed as initial_state are not known")
    results: dict[int, tuple[str, str]] = {}
    states = States("")
    for tensor in given:
        part = _state_part(sketch, tensor, receiver, results, states)
        states.parts.append(part)
        states.labels.append(_tensor_label(tensor))
    states.argument = states.parts[0] if isinstance(value, Tensor) else f"[{', '.join(states.parts)}]"
    return states


def _state_part(sketch: Sketch, tensor: Tensor, receiver: Layer, results: dict, states: States) -> str:
    producer = tensor.producer
    if producer is not None and tensor.direct and producer.is_recurrent and tensor.call is not None:
        key = id(tensor.call)
        if key not in results:
            results[key] = _call_state_producer(sketch, producer)
            states.inputs.append(results[key][1])
        result, _ = results[key]
        items = producer.returned_items()
        if items is None:
            raise NotCheckable(f"what {producer.label_text} returns is not known")
        role = tensor.state or "output"
        index = next(
            (i for i, item in enumerate(items) if not isinstance(item, tuple)
             and item.role == role and item.direction == tensor.direction),
            None,
        )
        if index is None:
            raise NotCheckable(f"{describe_tensor(tensor)} is not among what {producer.label_text} returns")
        return f"{result}[{index}]" if len(items) > 1 else result
    if tensor.producer is None and tensor.shape is not None and tensor.projection is None and tensor.state is None:
        dims = [sketch.size(dim) if type(dim) is int else repr(dim) for dim in tensor.shape]
        name = sketch.name("state_input")
        sketch.setup(f"{name} = keras.Input(shape=({', '.join(dims)}{',' if len(dims) == 1 else ''}))")
        states.inputs.append(name)
        return name
    width = tensor.width if tensor.width is not None else receiver.state_units
    if width is None and tensor.width_of is not None:
        width_text = sketch.multiple(tensor.width_of)
    else:
        width_text = sketch.size(width)
    spatial = tensor.spatial_dims or 0
    dims = [sketch.placeholder("SIDE", 3, "size of each spatial axis")] * spatial + [width_text]
    name = sketch.name("state_input")
    sketch.setup(f"{name} = keras.Input(shape=({', '.join(dims)},))")
    sketch.note(f"{describe_tensor(tensor)} is replaced by a keras.Input of the same width")
    states.inputs.append(name)
    return name


def _item_label(item: object) -> str:
    if isinstance(item, tuple):
        return "a cell's states"
    role = "the output" if item.role == "output" else item.role  # type: ignore[attr-defined]
    return f"{item.direction} {role}".strip() if item.direction else role  # type: ignore[attr-defined]


def _tensor_label(tensor: Tensor) -> str:
    if tensor.producer is not None and tensor.direct:
        role = tensor.state or "the output"
        return f"{tensor.direction} {role}" if tensor.direction else role
    if tensor.shape is not None:
        return "a keras.Input"
    return "a tensor"


def _call_state_producer(sketch: Sketch, producer: Layer) -> tuple[str, str]:
    x = sketch.input_for(producer, "source")
    built = sketch.build(producer, "encoder")
    result = sketch.name("encoded")
    sketch.trigger(f"{result} = {built}({x})")
    return result, x


def _receiver(fact: Consumed) -> Layer:
    receiver = fact.consumer
    if receiver is None or not receiver.is_recurrent:
        raise NotCheckable("the layer receiving initial_state is not known")
    if needed_states(receiver) is None:
        raise NotCheckable(f"how many states {receiver.label_text} carries is not known")
    return receiver


def _call_receiver(sketch: Sketch, receiver: Layer, states: States) -> tuple[str, str, str]:
    """Call the receiver with the states, build the model and predict: (layer, output, model) variables."""
    sequence = sketch.input_for(receiver, "target")
    states.inputs.insert(0, sequence)
    layer = sketch.build(receiver, "receiver")
    sketch.trigger(f"output = {layer}({sequence}, initial_state={states.argument})")
    sketch.trigger(f"model = keras.Model([{', '.join(dict.fromkeys(states.inputs))}], first(output))")
    sketch.trigger("model.predict(random_like(*model.inputs), verbose=0)")
    return layer, "output", "model"


def _sequence_input(states: States) -> str:
    return states.inputs[0]


def _small(steps: int | None, sketch: Sketch, name: str) -> str:
    if steps is not None and 0 < steps <= 64:
        return str(steps)
    return sketch.placeholder(name)
