from tensorflow.keras import layers

# The package's __init__ imports this module, and this module reads a sibling through the
# package: a cycle for Python only in appearance (the sibling is a submodule).
from srcpkg import settings

STEP = layers.LSTM(8, return_sequences=settings.RETURN_SEQUENCES)
