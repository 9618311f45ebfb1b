from __future__ import annotations

from rnnlint.diagnostics import Severity
from rnnlint.rules._base import Invalid, Rule


class UnusedNoqa(Rule):
    """
    ## What it does
    Reports a `# noqa: ...` comment naming rnnlint codes (`RNN101`, or a prefix
    such as `RNN2`) when no rnnlint rule reports anything those codes match on
    that line (on the first or last line of a finding's span), and a file-level
    `# rnnlint: noqa: ...` whose codes match nothing in the file.

    A bare `# noqa`, and codes of other tools (`E501`, `F401`), are not judged:
    they may be there for another linter.  Codes are judged against what every
    rnnlint rule finds, enabled or not, so a suppression kept for a rule that
    this run does not select is not called stale.

    ## Why is this bad?
    A suppression that silences nothing hides the next real finding on that
    line: the code was fixed or moved, the comment stayed.

    ## Example
    ```python
    encoder = keras.layers.LSTM(64, return_state=True)
    output, h, c = encoder(x)  # noqa: RNN101
    ```

    ## Use instead
    ```python
    encoder = keras.layers.LSTM(64, return_state=True)
    output, h, c = encoder(x)
    ```

    ## Fix safety
    The fix removes the unused codes from the comment, or the whole `# noqa`
    when no code is left (the comment text before it stays).  It is safe: what
    it removes suppressed nothing.  No fix is offered when other text follows
    the directive in the same comment.
    """

    code = "RNN002"
    name = "unused-noqa"
    severity = Severity.HINT
    summary = "a `# noqa` naming rnnlint codes that suppresses nothing"
    # Produced by the suppression stage (rnnlint/suppress.py), after every rule has run.
    facts = ()

    valid = [
        "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)  # noqa: RNN101\n",
        "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)  # noqa: RNN1\n",
        # A bare noqa, and other tools' codes, are not ours to judge.
        "from keras.layers import LSTM\nencoder = LSTM(8)  # noqa\n",
        "from keras.layers import LSTM\nencoder = LSTM(8)  # noqa: E501\n",
        # A finding spanning lines may be suppressed on its last line.
        "from keras.layers import LSTM\nout, h, c = LSTM(\n    8,\n)(x)  # noqa: RNN101\n",
        "# rnnlint: noqa: RNN101\nfrom keras.layers import LSTM\nout, h, c = LSTM(8)(x)\n",
        'from keras.layers import LSTM\nencoder = LSTM(8)\nnote = "# noqa: RNN101"\n',
    ]
    invalid = [
        Invalid(
            "from keras.layers import LSTM\nencoder = LSTM(8)  # noqa: RNN101\n",
            fixed="from keras.layers import LSTM\nencoder = LSTM(8)\n",
        ),
        Invalid(
            "from keras.layers import LSTM\nencoder = LSTM(8)  # noqa: E501, RNN2\n",
            fixed="from keras.layers import LSTM\nencoder = LSTM(8)  # noqa: E501\n",
        ),
        Invalid(
            "from keras.layers import LSTM\nout, h, c = LSTM(8)(x)  # noqa: RNN101, RNN201\n",
            fixed="from keras.layers import LSTM\nout, h, c = LSTM(8)(x)  # noqa: RNN101\n",
        ),
        Invalid("# rnnlint: noqa: RNN203\nfrom keras.layers import LSTM\nencoder = LSTM(8)\n"),
        Invalid("from keras.layers import LSTM\nencoder = LSTM(8)  # type: ignore  # noqa: RNN999\n",
                fixed="from keras.layers import LSTM\nencoder = LSTM(8)  # type: ignore\n"),
    ]

    @staticmethod
    def message(unused: list[str], unknown: list[str], *, file_level: bool = False) -> str:
        where = "in this file" if file_level else "on this line"
        codes = ", ".join(unused)
        text = f"unused `noqa`: {codes} {'matches' if len(unused) == 1 else 'match'} no finding {where}"
        if unknown:
            text += f" ({', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not an rnnlint code)"
        return text
