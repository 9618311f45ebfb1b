from app import compat
from app.compat import LSTM, UNITS, keras_layers

x = keras_layers.Input((10, 8))
y = compat.Dense(4)(LSTM(UNITS)(x))
z = keras_layers.LSTM(4)(compat.GRU(UNITS)(x))  # expect: RNN201
w = LSTM(4)(compat.LSTM(UNITS, return_sequences=True)(x))
