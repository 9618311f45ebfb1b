from tensorflow.keras import layers

from broken.bad import STEP
from broken.bad import *

x = layers.Input((10, 8))
y = layers.LSTM(4)(STEP(x))  # the module does not parse: unknown
