"""Names no recurrent layer: it is analysed because the modules it imports build them."""
from tensorflow.keras import layers

from seq2seq import make_encoder

x = layers.Input((10, 8))
out, h = make_encoder()(x)  # expect: RNN101
