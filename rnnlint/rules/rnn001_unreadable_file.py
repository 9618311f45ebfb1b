from __future__ import annotations

from rnnlint.diagnostics import Severity
from rnnlint.rules._base import Invalid, Rule


class UnreadableFile(Rule):
    """
    ## What it does
    Reports a file rnnlint could not read, decode or parse, with the parser's
    message and line.  The run goes on with the other files and exits with 2.

    ## Why is this bad?
    A file that cannot be parsed cannot be checked: its bugs would pass silently.
    (Files that never mention a recurrent layer are not parsed at all, so their
    syntax errors are left to your Python linter.)

    ## Example
    ```python
    encoder = keras.layers.LSTM(64
    ```

    ## Use instead
    ```python
    encoder = keras.layers.LSTM(64)
    ```

    ## Fix safety
    No fix.
    """

    code = "RNN001"
    name = "unreadable-file"
    severity = Severity.ERROR
    summary = "a file that cannot be read or parsed"
    # Produced by the file reader, not from facts.
    facts = ()

    valid = ["from keras.layers import LSTM\nencoder = LSTM(64)\n"]
    invalid = [
        Invalid("from keras.layers import LSTM\nencoder = LSTM(64\n"),
        Invalid("from keras.layers import LSTM\nprint 'python 2'\n"),
    ]
