"""A project module that re-exports Keras's layers: importers reach the real classes through it."""
from tensorflow.keras.layers import *  # noqa: F403
from tensorflow.keras import layers as keras_layers

UNITS = 12
