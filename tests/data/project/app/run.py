from tensorflow.keras import layers

from nspkg.blocks import block
from srcpkg import STEP

x = layers.Input((10, 8))
y = layers.LSTM(4)(STEP(x))  # expect: RNN201
z = layers.LSTM(4)(block(x))  # expect: RNN201
