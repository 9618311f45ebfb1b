"""Questions the state rules (RNN301-RNN303) share about an `initial_state=` argument.

No analysis happens here: these read the values the interpreter built.
"""

from __future__ import annotations

from rnnlint.analysis.values import Layer, Outputs, Sequence, Tensor, Value
from rnnlint.keras.catalogue import StateKind


def needed_states(receiver: Layer) -> int | None:
    """How many tensors `initial_state` must hold: LSTM 2, GRU/SimpleRNN 1, Bidirectional twice that.

    None for stacked cells (nested state lists) and unknown layers.
    """
    kinds = receiver.state_kinds
    if not isinstance(kinds, StateKind):
        return None
    return kinds.count * (2 if receiver.is_bidirectional else 1)


def given_states(value: Value) -> tuple[Tensor, ...] | None:
    """The tensors passed as `initial_state`, when each is known to be exactly one tensor."""
    if isinstance(value, Tensor):
        return (value,)
    if isinstance(value, (Sequence, Outputs)) and value.items and all(isinstance(i, Tensor) for i in value.items):
        return tuple(value.items)  # type: ignore[arg-type]
    return None


def complete_states_of(states: tuple[Tensor, ...]) -> tuple[Layer, StateKind] | None:
    """When `states` are exactly the final states of one call of one recurrent layer: that layer and their kind."""
    first = states[0]
    producer, call, kind = first.producer, first.call, first.state_kind
    if producer is None or kind is None or not isinstance(producer.state_kinds, StateKind):
        return None
    if any(t.state is None or t.producer is not producer or t.call is not call for t in states):
        return None
    items = producer.returned_items()
    if items is None:
        return None
    roles = sorted((i.direction, i.role) for i in items if not isinstance(i, tuple) and i.is_state)
    if sorted((t.direction, t.state) for t in states) != roles:
        return None
    return producer, kind


def kind_mismatch(receiver: Layer, states: tuple[Tensor, ...]) -> tuple[Layer, StateKind, StateKind] | None:
    """LSTM states (h, c) given to a GRU/SimpleRNN, or GRU/SimpleRNN states to an LSTM: (producer, given, needed)."""
    needed = receiver.state_kinds
    complete = complete_states_of(states)
    if complete is None or not isinstance(needed, StateKind):
        return None
    producer, given = complete
    if given.count == needed.count:
        return None
    return producer, given, needed


def reads_output_without_return_state(value: Value) -> bool:
    """RNN102's case: the single output of a layer built without return_state passed as states."""
    return (
        isinstance(value, Tensor)
        and value.direct
        and value.state is None
        and value.producer is not None
        and value.producer.flag("return_state") is False
    )
