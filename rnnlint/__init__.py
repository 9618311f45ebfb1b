"""rnnlint: a static linter for Keras recurrent layers."""

__version__ = "0.1.0"
