from tensorflow.keras import layers

from cyc.b import B_LAYER

A_LAYER = layers.LSTM(8)
x = layers.Input((10, 8))
y = layers.LSTM(4)(B_LAYER(x))  # B_LAYER comes through a cycle: unknown
z = layers.LSTM(4)(layers.GRU(3)(x))  # expect: RNN201
