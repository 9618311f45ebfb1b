from tensorflow.keras import layers

from . import a

B_LAYER = layers.GRU(8)
x = layers.Input((10, 8))
y = layers.LSTM(4)(a.A_LAYER(x))  # a.A_LAYER comes through a cycle: unknown
