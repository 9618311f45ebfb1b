"""How long `rnnlint server` takes to publish diagnostics after a change, as an editor sees it.

A minimal LSP client over the server's stdio (raw JSON-RPC frames, no library):
initialize, open a file, then change it again and again, timing each change
from the moment its notification is written to the moment the publishDiagnostics
for that version arrives.  The server's debounce is part of what is measured.

    python scripts/lsp_latency.py [FILE] [--rounds N] [--transcript]

Without FILE, a ~500-line Keras file is generated (scripts/keras_corpus.py).
`--transcript` prints the messages exchanged (long texts trimmed).  Used by
scripts/bench.py (the `server` scenario).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
WAIT = 120.0


def keras_file(lines: int = 500, seed: int = 8) -> str:
    """Generated Keras files joined until there are at least `lines` lines; the first has a planted bug
    (so the rules, the fixes and the publication of a finding are part of every lint)."""
    import keras_corpus

    parts: list[str] = []
    index = 0
    while sum(part.count("\n") for part in parts) < lines:
        text, planted = keras_corpus.generate_file(seed, index)
        index += 1
        if parts or planted:
            parts.append(text)
    return "\n".join(parts)


class Client:
    def __init__(self, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=cwd)
        self.inbox: queue.Queue = queue.Queue()
        self.transcript: list[tuple[str, dict, float]] = []
        self.started = time.perf_counter()
        self.next_id = 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                header = stream.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                return
            message = json.loads(stream.read(length))
            arrived = time.perf_counter()
            self.transcript.append(("<-", message, arrived - self.started))
            self.inbox.put((message, arrived))

    def send(self, message: dict) -> float:
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        sent = time.perf_counter()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        self.transcript.append(("->", message, sent - self.started))
        return sent

    def request(self, method: str, params: object) -> dict:
        number = self.next_id
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": number, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == number and "method" not in m)[0]

    def notify(self, method: str, params: object) -> float:
        return self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, wanted, timeout: float = WAIT) -> tuple[dict, float]:
        deadline = time.perf_counter() + timeout
        while True:
            message, arrived = self.inbox.get(timeout=max(deadline - time.perf_counter(), 0.001))
            if "id" in message and "method" in message:  # a request from the server: answer it
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            if wanted(message):
                return message, arrived

    def close(self) -> int:
        self.request("shutdown", None)
        self.notify("exit", None)
        return self.process.wait(timeout=WAIT)


def _published(uri: str, version: int):
    def wanted(message: dict) -> bool:
        params = message.get("params") or {}
        return (
            message.get("method") == "textDocument/publishDiagnostics"
            and params.get("uri") == uri
            and params.get("version") == version
        )

    return wanted


def measure(path: Path, rounds: int, python: str = sys.executable, env: dict | None = None) -> dict:
    """Open `path` in a fresh server, then change it `rounds` times: seconds per change, and what was found."""
    text = path.read_text()
    uri = path.absolute().as_uri()
    client = Client([python, "-m", "rnnlint", "server"], env=env, cwd=path.parent)
    capabilities = {"textDocument": {"publishDiagnostics": {"versionSupport": True, "relatedInformation": True}}}
    client.request("initialize", {"processId": os.getpid(), "rootUri": path.parent.absolute().as_uri(), "capabilities": capabilities})
    client.notify("initialized", {})
    sent = client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
    message, arrived = client.wait(_published(uri, 1))
    first = arrived - sent
    findings = len(message["params"]["diagnostics"])
    samples = []
    lines = text.count("\n")
    for version in range(2, rounds + 2):
        # A keystroke at the end of the file: the whole file is linted again.
        change = {"range": {"start": {"line": lines, "character": 0}, "end": {"line": lines, "character": 0}}, "text": "#"}
        if version % 2:
            change = {"range": {"start": {"line": lines, "character": 0}, "end": {"line": lines, "character": 1}}, "text": ""}
        time.sleep(0.1)
        sent = client.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        _, arrived = client.wait(_published(uri, version))
        samples.append(arrived - sent)
    hover = client.request(
        "textDocument/hover", {"textDocument": {"uri": uri}, "position": _first_recurrent(text)}
    )
    exit_code = client.close()
    return {
        "lines": lines,
        "findings": findings,
        "first": first,
        "samples": samples,
        "hover": hover.get("result"),
        "exit_code": exit_code,
        "transcript": client.transcript,
    }


def _first_recurrent(text: str) -> dict:
    for row, line in enumerate(text.splitlines()):
        for name in ("LSTM(", "GRU(", "SimpleRNN("):
            column = line.find(name)
            if column >= 0:
                return {"line": row, "character": column + 1}
    return {"line": 0, "character": 0}


def trimmed(message: dict, limit: int = 160) -> str:
    def trim(value: object) -> object:
        if isinstance(value, str) and len(value) > limit:
            return value[:limit] + f"... ({len(value)} characters)"
        if isinstance(value, dict):
            return {k: trim(v) for k, v in value.items()}
        if isinstance(value, list):
            shown = [trim(v) for v in value[:3]]
            return shown + [f"... ({len(value) - 3} more)"] if len(value) > 3 else shown
        return value

    return json.dumps(trim(message))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, help="a Python file (default: a generated ~500-line Keras file)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--transcript", action="store_true", help="print the messages exchanged")
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    if args.file is None:
        import tempfile

        directory = Path(tempfile.mkdtemp(prefix="rnnlint-lsp-"))
        args.file = directory / "models.py"
        args.file.write_text(keras_file())
    result = measure(args.file, args.rounds, env=env)
    if args.transcript:
        for direction, message, at in result["transcript"]:
            print(f"{at * 1000:8.1f} ms {direction} {trimmed(message)}")
    samples = result["samples"]
    print(
        f"{args.file}: {result['lines']} lines, {result['findings']} findings; first diagnostics after open "
        f"{result['first'] * 1000:.0f} ms; after a change: median {statistics.median(samples) * 1000:.0f} ms, "
        f"min {min(samples) * 1000:.0f}, max {max(samples) * 1000:.0f} ({len(samples)} changes); exit code {result['exit_code']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
