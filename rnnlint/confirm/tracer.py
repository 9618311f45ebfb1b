"""The `rnnlint trace` subprocess: runs the user's code with Keras instrumented.

`python -m rnnlint.confirm.tracer` reads one JSON request on stdin
(`{"targets": [{"path", "function", "args"}], "target_keras": 3}`) and answers
one JSON report on its protocol stream.  This EXECUTES the target, as importing
it would (`__name__` is not "__main__").

What is recorded, per target:
- every call of a recurrent layer (keras.layers.RNN and its subclasses, Bidirectional)
  and of any layer fed, directly or through single-tensor layers, by a recurrent
  layer's output: the construction line and the call line in the target file,
  flags, input shapes, output structure, and the exception if the call raised;
- misbehaviours Keras lets pass: iterating or indexing the single tensor a
  recurrent layer returned (eager code unpacks the batch axis), an
  `initial_state` with the wrong number of tensors, attention whose value or key
  is a recurrent output without a time axis;
- the lines of the target that ran, and the statements that could not run
  because an earlier failure left a name undefined;
- for the hints and warnings that describe no failure: which items of a
  recurrent call's result were used afterwards (by a layer, a Keras operation,
  a functional model's outputs, or returned out of a layer), the time order of
  sequence outputs (go_backwards), and whether each LSTM/GRU built passes
  Keras' own cuDNN eligibility test (`program.CUDNN_CHECK`).

Top-level statements run one by one, so a failure does not hide the rest of the
file.  Afterwards every Keras model the target left behind is exercised: built
if needed (placeholder input shapes) and asked for a tiny `predict`.
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

from rnnlint.confirm.keras_env import import_keras, protocol_stream

BATCH, TIME, FEATURES = 2, 5, 4
ATTENTION_LIST_INPUT = ("Attention", "AdditiveAttention")
ATTENTION_QUERY_FIRST = ("MultiHeadAttention", "GroupedQueryAttention", "GroupQueryAttention")


def _flatten(value: object) -> list:
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _flatten(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _flatten(item)]
    return [value]


def _is_tensor(value: object) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, type)


def _shape(value: object) -> list | None:
    try:
        return [None if d is None else int(d) for d in value.shape]  # type: ignore[attr-defined]
    except (TypeError, ValueError, AttributeError):
        return None


def _structure(value: object) -> object:
    """Shapes, keeping the nesting of lists: [[None, 8], [[None, 4], [None, 4]]]."""
    if isinstance(value, (list, tuple)):
        return [_structure(item) for item in value]
    if _is_tensor(value):
        return _shape(value)
    return type(value).__name__


def _summary(error: BaseException) -> dict:
    from rnnlint.confirm.worker import exception_summary

    return exception_summary(error)


class Recorder:
    """The instrumentation's memory for one target."""

    def __init__(self, keras, path: str) -> None:  # noqa: ANN001
        self.keras = keras
        self.path = path
        self.calls: list[dict] = []
        self.events: list[dict] = []
        self.lines_run: set[int] = set()
        # id(tensor) -> tag; the tensors are kept alive so ids are not reused.
        self.tags: dict[int, dict] = {}
        self.alive: list = []
        self.depth = 0
        # Recurrent layers constructed by the target (their cuDNN eligibility is read at the end).
        self.constructed: list = []

    def mark_used(self, values: list) -> None:
        """These tensors were read: mark the items of the recurrent results they come from as used."""
        for value in values:
            tag = self.tag_of(value)
            if tag is None:
                continue
            returned = self.calls[tag["call"]].get("returned")
            if returned is not None and tag["position"] < len(returned):
                returned[tag["position"]]["used"] = True

    # --- where in the target ------------------------------------------------------------
    def target_line(self) -> int | None:
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_filename == self.path:
                return frame.f_lineno
            frame = frame.f_back
        return None

    def caller_in_target(self) -> int | None:
        """The line, when the immediate caller is the target itself (not Keras' internals)."""
        frame = sys._getframe(2)
        return frame.f_lineno if frame.f_code.co_filename == self.path else None

    def tag(self, value: object, tag: dict) -> None:
        if _is_tensor(value):
            self.tags[id(value)] = tag
            self.alive.append(value)

    def tag_of(self, value: object) -> dict | None:
        return self.tags.get(id(value)) if _is_tensor(value) else None

    def event(self, kind: str, what: str, line: int | None, call: dict | None = None, exception: dict | None = None,
              rule_hint: str = "") -> None:
        self.events.append(
            {
                "kind": kind,
                "what": what,
                "line": line,
                "layer": call["layer"] if call else None,
                "call": call["index"] if call else None,
                "exception": exception,
                "rule_hint": rule_hint,
            }
        )


class Instrumentation:
    """Patches Keras' Layer.__init__/__call__ and the tensors' __iter__/__getitem__."""

    def __init__(self, keras) -> None:  # noqa: ANN001
        self.keras = keras
        self.recorder: Recorder | None = None
        self.recurrent_types = (keras.layers.RNN, keras.layers.Bidirectional)
        self.cudnn_types = (keras.layers.LSTM, keras.layers.GRU)
        self.layer_type = keras.layers.Layer
        self.patched: list[tuple[type, str, object]] = []

    def install(self) -> None:
        layer = self.layer_type
        self._patch(layer, "__init__", self._wrap_init(layer.__init__))
        self._patch(layer, "__call__", self._wrap_call(layer.__call__))
        # Reading a recurrent result without a layer call: a Keras 3 operation on symbolic
        # tensors (`keras.ops.flip(h)`, `h + c`), or a functional model's inputs and outputs.
        for owner, name in self._readers():
            self._patch(owner, name, self._wrap_reader(owner.__dict__[name]))
        for tensor_type in self._tensor_types():
            for name, what in (("__iter__", "iterated"), ("__getitem__", "indexed")):
                original = tensor_type.__dict__.get(name)
                if original is not None:
                    self._patch(tensor_type, name, self._wrap_tensor_method(original, what))

    def _tensor_types(self) -> list[type]:
        import tensorflow as tf

        types: list[type] = [tf.Tensor]
        try:  # Keras 3's symbolic tensor
            from keras.src.backend.common.keras_tensor import KerasTensor

            types.append(KerasTensor)
        except ImportError:
            pass
        try:  # tf-keras' symbolic tensor
            from tf_keras.src.engine.keras_tensor import KerasTensor as LegacyKerasTensor

            types.append(LegacyKerasTensor)
        except ImportError:
            pass
        # The eager tensor's Python base class defines its own __iter__/__getitem__.
        try:
            from tensorflow.python.framework.ops import _EagerTensorBase

            types.append(_EagerTensorBase)
        except ImportError:
            pass
        return types

    def _readers(self) -> list[tuple[type, str]]:
        readers: list[tuple[type, str]] = []
        try:
            from keras.src.ops.operation import Operation

            readers.append((Operation, "symbolic_call"))
        except ImportError:
            pass
        for module in ("keras.src.models.functional", "tf_keras.src.engine.functional"):
            try:
                readers.append((importlib.import_module(module).Functional, "__init__"))
            except (ImportError, AttributeError):
                pass
        return readers

    def _wrap_reader(self, original):  # noqa: ANN001, ANN202
        instrumentation = self

        def method(owner, *args, **kwargs):  # noqa: ANN001, ANN202
            recorder = instrumentation.recorder
            if recorder is not None:
                recorder.mark_used(_flatten(list(args) + list(kwargs.values())))
            return original(owner, *args, **kwargs)

        method.__name__ = original.__name__
        return method

    def _patch(self, owner: type, name: str, replacement: object) -> None:
        self.patched.append((owner, name, owner.__dict__.get(name)))
        setattr(owner, name, replacement)

    # --- construction: remember the target line that built each layer ---------------------
    def _wrap_init(self, original):  # noqa: ANN001, ANN202
        instrumentation = self

        def __init__(layer, *args, **kwargs):  # noqa: ANN001, ANN202, N807
            recorder = instrumentation.recorder
            if recorder is not None and "_rnnlint_built_at" not in layer.__dict__:
                try:
                    object.__setattr__(layer, "_rnnlint_built_at", recorder.target_line())
                except Exception:  # noqa: BLE001 - tracking must never break the user's layer
                    pass
                else:
                    if isinstance(layer, instrumentation.cudnn_types):
                        recorder.constructed.append(layer)
            try:
                return original(layer, *args, **kwargs)
            except Exception as error:
                # Keras refusing to build a recurrent layer (an unknown keyword, RNN401): an event at the
                # line that built it, so the finding there is matched with Keras' own message.
                if recorder is not None and isinstance(layer, instrumentation.recurrent_types):
                    line = layer.__dict__.get("_rnnlint_built_at")
                    summary = _summary(error)
                    if not any(e["exception"] == summary and e["line"] == line for e in recorder.events):
                        recorder.event("failure", f"constructing {type(layer).__name__} raised", line, None, summary)
                raise

        return __init__

    # --- calls ---------------------------------------------------------------------------
    def _wrap_call(self, original):  # noqa: ANN001, ANN202
        instrumentation = self

        def __call__(layer, *args, **kwargs):  # noqa: ANN001, ANN202, N807
            recorder = instrumentation.recorder
            if recorder is None or recorder.depth:
                return original(layer, *args, **kwargs)
            recurrent = isinstance(layer, instrumentation.recurrent_types)
            leaves = _flatten(list(args) + list(kwargs.values()))
            fed = [recorder.tag_of(leaf) for leaf in leaves if recorder.tag_of(leaf) is not None]
            recorder.mark_used(leaves)
            if not recurrent and not fed:
                result = original(layer, *args, **kwargs)
                # What a layer returns (a subclassed model's call) is used by its caller.
                recorder.mark_used(_flatten(result))
                return result
            call = instrumentation._describe(layer, recurrent, args, kwargs, recorder)
            call["fed_by"] = [{"call": t["call"], "layer": t["layer"], "role": t["role"], "reversed": t.get("reversed")}
                              for t in fed]
            instrumentation._check_before(layer, recurrent, args, kwargs, call, recorder)
            recorder.depth += 1
            try:
                result = original(layer, *args, **kwargs)
            except Exception as error:
                call["error"] = _summary(error)
                line = call["call_line"] or call["built_line"]
                recorder.event("failure", f"{call['layer']} raised", line, call, call["error"])
                raise
            finally:
                recorder.depth -= 1
            call["output"] = _structure(result)
            instrumentation._tag_result(layer, recurrent, result, call, fed, recorder)
            return result

        return __call__

    def _describe(self, layer, recurrent, args, kwargs, recorder: Recorder) -> dict:  # noqa: ANN001
        flags = {}
        inner = getattr(layer, "forward_layer", None) or layer
        for flag in ("return_sequences", "return_state", "go_backwards", "stateful", "unroll"):
            if hasattr(inner, flag):
                flags[flag] = bool(getattr(inner, flag))
        if hasattr(layer, "merge_mode") and isinstance(layer, self.keras.layers.Bidirectional):
            flags["merge_mode"] = layer.merge_mode
        inputs = args[0] if args else kwargs.get("inputs", kwargs.get("sequences", kwargs.get("query")))
        call = {
            "index": len(recorder.calls),
            "layer": f"{type(layer).__name__} '{layer.name}'",
            "class": type(layer).__name__,
            "recurrent": recurrent,
            "built_line": layer.__dict__.get("_rnnlint_built_at"),
            "call_line": recorder.target_line(),
            "flags": flags,
            "inputs": _structure(inputs),
            "initial_state": _structure(kwargs["initial_state"]) if kwargs.get("initial_state") is not None else None,
            "output": None,
            "error": None,
        }
        recorder.calls.append(call)
        return call

    def _check_before(self, layer, recurrent, args, kwargs, call: dict, recorder: Recorder) -> None:  # noqa: ANN001
        line = call["call_line"] or call["built_line"]
        if recurrent and kwargs.get("initial_state") is not None:
            given = [leaf for leaf in _flatten(kwargs["initial_state"]) if _is_tensor(leaf)]
            needed = self._state_count(layer)
            if needed is not None and len(given) != needed:
                recorder.event(
                    "misbehaviour",
                    f"{call['layer']} needs {needed} initial state tensor(s) and was given {len(given)}",
                    line, call, rule_hint="RNN102/RNN301",
                )
        name = type(layer).__name__
        if name.endswith("Attention"):
            for tensor in self._attention_memory(name, args, kwargs):
                tag = recorder.tag_of(tensor)
                shape = _shape(tensor)
                if tag is not None and tag["role"] == "output" and tag["spatial"] == 0 and shape and len(shape) == 2:
                    recorder.event(
                        "misbehaviour",
                        f"{call['layer']} attends over a value of shape {tuple(shape)} from {tag['layer']}: one step",
                        line, call, rule_hint="RNN202",
                    )

    @staticmethod
    def _attention_memory(name: str, args: tuple, kwargs: dict) -> list:
        if name in ATTENTION_LIST_INPUT:
            inputs = args[0] if args else kwargs.get("inputs")
            return list(inputs[1:]) if isinstance(inputs, (list, tuple)) else []
        if name in ATTENTION_QUERY_FIRST:
            return [v for v in (args[1] if len(args) > 1 else kwargs.get("value"),
                                args[2] if len(args) > 2 else kwargs.get("key")) if v is not None]
        memory = list(args[1:])
        memory += [kwargs[k] for k in ("value", "values", "key", "keys", "memory") if kwargs.get(k) is not None]
        return memory

    def _state_count(self, layer) -> int | None:  # noqa: ANN001
        try:
            if isinstance(layer, self.keras.layers.Bidirectional):
                return 2 * len(_flatten(layer.forward_layer.cell.state_size))
            return len(_flatten(layer.cell.state_size))
        except Exception:  # noqa: BLE001 - an exotic cell: no check
            return None

    def _tag_result(self, layer, recurrent, result, call: dict, fed: list, recorder: Recorder) -> None:  # noqa: ANN001
        if recurrent:
            spatial = max(len(_shape(first) or [2]) - 2, 0) if (first := _first_tensor(result)) is not None else 0
            order = self._time_order(layer, fed)
            items = _flatten(result) if isinstance(result, (list, tuple)) else [result]
            call["returned"] = []
            call["symbolic"] = all(self._symbolic(item) for item in items)
            for position, item in enumerate(items):
                role = "output" if position == 0 or (
                    position == 1 and getattr(layer, "merge_mode", "x") is None) else "state"
                shape = _shape(item)
                # A sequence keeps the rank of the input (batch, time, ..., features).
                inputs = call["inputs"]
                sequence = role == "output" and shape is not None and isinstance(inputs, list) and len(shape) == len(inputs)
                call["returned"].append({"role": role, "shape": shape, "used": False})
                recorder.tag(item, {"layer": call["layer"], "role": role, "single": len(items) == 1
                                    and not isinstance(result, (list, tuple)), "spatial": spatial,
                                    "call": call["index"], "position": position,
                                    "reversed": order if sequence else None})
        elif len(fed) == 1 and _is_tensor(result):
            # A layer keeping one tensor flowing (Dropout, Dense, normalisation) passes the origin on.
            recorder.tag(result, dict(fed[0], single=False))

    def _time_order(self, layer, fed: list) -> bool | None:  # noqa: ANN001
        """Whether this call's sequence output runs backwards in time.

        go_backwards reverses the order of what it reads; Bidirectional restores it.
        An input that no recurrent layer produced is taken as running forwards.
        """
        source = next((tag for tag in fed if tag["role"] == "output"), None)
        reading = bool(source.get("reversed")) if source is not None else False
        if isinstance(layer, self.keras.layers.Bidirectional):
            return reading
        return reading != bool(getattr(layer, "go_backwards", False))

    def _symbolic(self, value: object) -> bool:
        try:
            return bool(self.keras.backend.is_keras_tensor(value))
        except Exception:  # noqa: BLE001 - not a tensor Keras knows
            return False

    # --- tensors used as if they were the [output, *states] list --------------------------------
    def _wrap_tensor_method(self, original, what: str):  # noqa: ANN001, ANN202
        instrumentation = self

        def method(tensor, *args):  # noqa: ANN001, ANN202
            recorder = instrumentation.recorder
            tag = recorder.tag_of(tensor) if recorder is not None and not recorder.depth else None
            if tag is not None:
                recorder.mark_used([tensor])
            line = recorder.caller_in_target() if tag is not None else None
            if tag is None or not tag["single"] or line is None:
                return original(tensor, *args)
            call = recorder.calls[tag["call"]]
            if what == "indexed" and isinstance(args[0], tuple):
                return original(tensor, *args)  # out[:, -1]: an axis-wise index, meant for a tensor
            try:
                result = original(tensor, *args)
            except Exception as error:
                recorder.event("failure", f"the single tensor returned by {tag['layer']} was {what} (as if it "
                               "were the [output, *states] list)", line, call, _summary(error))
                raise
            detail = (f"unpacking iterated the batch axis: rows of shape {tuple(_shape(tensor)[1:])}"
                      if what == "iterated" else
                      f"[{_key_text(args[0])}] picked {tuple(_shape(result) or ())}: rows of the batch, not states")
            recorder.event("misbehaviour", f"the single tensor returned by {tag['layer']} was {what}: {detail}",
                           line, call)
            return result

        method.__name__ = original.__name__
        return method


def _key_text(key: object) -> str:
    if isinstance(key, slice):
        return ":".join("" if part is None else str(part) for part in (key.start, key.stop)) + (
            f":{key.step}" if key.step is not None else "")
    return repr(key)


def _first_tensor(result: object) -> object:
    leaves = [leaf for leaf in _flatten(result) if _is_tensor(leaf)]
    return leaves[0] if leaves else None


# --- running a target --------------------------------------------------------------------------


def run_target(keras, instrumentation: Instrumentation, target: dict) -> dict:  # noqa: ANN001
    path = str(Path(target["path"]).resolve())
    recorder = Recorder(keras, path)
    report: dict = {"path": target["path"], "function": target.get("function"), "error": None,
                    "blocked": [], "other_failures": [], "exercised": []}
    try:
        source = Path(path).read_text(encoding="utf-8")
        tree = ast.parse(source, filename=path)
    except (OSError, SyntaxError, ValueError) as error:
        report["error"] = f"cannot read {target['path']}: {error}"
        return report
    try:
        keras.backend.clear_session()
    except Exception:  # noqa: BLE001
        pass
    namespace = {"__name__": f"__rnnlint_trace__{Path(path).stem}", "__file__": path, "__builtins__": __builtins__}
    instrumentation.recorder = recorder
    sys.path.insert(0, str(Path(path).parent))
    previous_trace = sys.gettrace()
    sys.settrace(_line_tracer(recorder))
    failed_before = False
    try:
        for statement in tree.body:
            module = ast.Module(body=[statement], type_ignores=[])
            try:
                exec(compile(module, path, "exec"), namespace)
            except Exception as error:  # noqa: BLE001 - recorded; the next statement still runs
                span = [statement.lineno, statement.end_lineno or statement.lineno]
                if failed_before and isinstance(error, NameError):
                    report["blocked"].append(span)  # a consequence of an earlier failure
                else:
                    _other_failure(report, recorder, error, span)
                failed_before = True
        models = _models_in(keras, namespace.values())
        if target.get("function"):
            models = _call_target_function(keras, namespace, target, report, recorder)
        for name, model in models:
            _exercise(keras, name, model, report, recorder)
    finally:
        sys.settrace(previous_trace)
        instrumentation.recorder = None
        sys.path.remove(str(Path(path).parent))
    report.update(calls=recorder.calls, events=recorder.events, lines_run=sorted(recorder.lines_run),
                  built=_constructed(keras, recorder))
    return report


def _constructed(keras, recorder: Recorder) -> list[dict]:  # noqa: ANN001
    """The LSTM/GRU layers the target built, with Keras' answer to "may it run the cuDNN kernel?"."""
    from rnnlint.confirm.program import CUDNN_CHECK

    namespace: dict = {"keras": keras}
    exec(compile(CUDNN_CHECK, "<cudnn check>", "exec"), namespace)
    built = []
    for layer in recorder.constructed:
        line = layer.__dict__.get("_rnnlint_built_at")
        if line is None:
            continue
        try:
            eligible, test = namespace["cudnn_eligible"](layer)
        except Exception as error:  # noqa: BLE001 - an internal Keras changed: say so, decide nothing
            eligible, test = None, f"the check failed: {type(error).__name__}: {error}"
        built.append({"layer": f"{type(layer).__name__} '{layer.name}'", "built_line": line, "cudnn": eligible,
                      "test": test})
    return built


def _line_tracer(recorder: Recorder):  # noqa: ANN202
    def local(frame, event, arg):  # noqa: ANN001, ANN202
        if event == "line":
            recorder.lines_run.add(frame.f_lineno)
        return local

    def global_(frame, event, arg):  # noqa: ANN001, ANN202
        if frame.f_code.co_filename == recorder.path:
            recorder.lines_run.add(frame.f_lineno)
            return local
        return None

    return global_


def _other_failure(report: dict, recorder: Recorder, error: BaseException, span: list) -> None:
    """An exception that escaped a statement; those at recurrent layers are already events."""
    line = span[0]
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename == recorder.path:
            line = lineno
    recorded = any(e["exception"] is not None and e["line"] == line for e in recorder.events)
    if not recorded:
        report["other_failures"].append({"line": line, "span": span, "exception": _summary(error)})


def _models_in(keras, values) -> list[tuple[str, object]]:  # noqa: ANN001
    found, seen = [], set()
    for value in list(values):
        if isinstance(value, keras.Model) and id(value) not in seen:
            seen.add(id(value))
            found.append((getattr(value, "name", "model"), value))
    return found


def _call_target_function(keras, namespace: dict, target: dict, report: dict, recorder: Recorder) -> list:  # noqa: ANN001
    function = namespace.get(target["function"])
    if not callable(function):
        report["error"] = f"{target['path']} defines no function {target['function']!r}"
        return []
    kwargs = {name: _argument(value) for name, value in (target.get("args") or {}).items()}
    try:
        result = function(**kwargs)
    except Exception as error:  # noqa: BLE001
        line = getattr(function, "__code__", None)
        _other_failure(report, recorder, error, [line.co_firstlineno if line else 0] * 2)
        return []
    return _models_in(keras, _flatten(result) if isinstance(result, (list, tuple)) else [result])


def _argument(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _exercise(keras, name: str, model, report: dict, recorder: Recorder) -> None:  # noqa: ANN001
    """Build the model if needed and run a tiny predict on random data."""
    entry = {"model": name, "outcome": "ran", "detail": ""}
    report["exercised"].append(entry)
    try:
        inputs = _model_inputs(keras, model)
        if inputs is None:
            entry.update(outcome="skipped", detail="a subclassed model needs its inputs; trace a function that calls it")
            return
        data = [_random(keras, spec) for spec in inputs]
        model.predict(data[0] if len(data) == 1 else data, verbose=0)
    except Exception as error:  # noqa: BLE001 - recorded as an event when at a recurrent layer
        summary = _summary(error)
        entry.update(outcome="raised", detail=f"{summary['type']}: {summary['message']}")
        if not any(e["exception"] is not None and e["exception"] == summary for e in recorder.events):
            line = getattr(model, "__dict__", {}).get("_rnnlint_built_at")
            report["other_failures"].append({"line": line, "span": [line, line], "exception": summary})


def _model_inputs(keras, model) -> list[tuple[tuple, str]] | None:  # noqa: ANN001
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if inputs:
        return [(tuple(_shape(t) or ()), str(getattr(t.dtype, "name", t.dtype))) for t in inputs]
    if isinstance(model, keras.Sequential) and model.layers:
        first = model.layers[0]
        if isinstance(first, keras.layers.Embedding):
            return [((None, TIME), "int32")]
        spatial = 0
        core = getattr(first, "forward_layer", first)
        if hasattr(core, "cell") and "ConvLSTM" in type(core).__name__:
            spatial = int(type(core).__name__[-2])
        return [((None, TIME) + (3,) * spatial + (FEATURES,), "float32")]
    return None


def _random(keras, spec: tuple[tuple, str]):  # noqa: ANN001, ANN202
    import numpy as np

    dims, dtype = spec
    dims = tuple((BATCH if i == 0 else TIME) if d is None else d for i, d in enumerate(dims))
    if "int" in dtype:
        return np.zeros(dims, dtype=dtype)
    return np.random.default_rng(0).random(dims, dtype="float32")


def main() -> int:
    out = protocol_stream()
    request = json.loads(sys.stdin.read() or "{}")
    target_keras = int(request.get("target_keras", 3))
    started = time.perf_counter()
    try:
        keras = import_keras(target_keras)
    except Exception as error:  # noqa: BLE001
        out.write(json.dumps({"ready": False, "error": f"{type(error).__name__}: {error}"}) + "\n")
        return 1
    startup = time.perf_counter() - started
    instrumentation = Instrumentation(keras)
    instrumentation.install()
    reports = []
    for target in request.get("targets", []):
        began = time.perf_counter()
        report = run_target(keras, instrumentation, target)
        report["seconds"] = time.perf_counter() - began
        reports.append(report)
    out.write(json.dumps({"ready": True, "keras_version": keras.__version__, "startup_seconds": startup,
                          "targets": reports}, default=str) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
