"""Turn a path's bytes into analysable text and back (`python`, `notebook`)."""

NOTEBOOK_SUFFIX = ".ipynb"


def is_notebook(name: str) -> bool:
    """Whether a file is read as a Jupyter notebook (decided by its name, without importing the reader)."""
    return name.lower().endswith(NOTEBOOK_SUFFIX)
