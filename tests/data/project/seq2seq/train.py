from tensorflow.keras import layers

from seq2seq.encoders import build_encoder, last_step_block
from .encoders import SHARED_ENCODER

src = layers.Input((10, 8))
x = layers.Input((10, 8))
q = layers.Input((10, 32))
out, h = build_encoder()(src)  # expect: RNN101
y = layers.LSTM(16)(last_step_block(x, 16))  # expect: RNN201
ctx = layers.Attention()([q, SHARED_ENCODER(q)])  # expect: RNN202
