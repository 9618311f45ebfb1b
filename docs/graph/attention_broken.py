"""An encoder-decoder with Luong attention, wired wrong (docs/graph.md: "See the wiring")."""
import keras
from keras import layers

vocab, units = 8000, 128

source = keras.Input(shape=(None,), dtype="int32")
target = keras.Input(shape=(None,), dtype="int32")
encoder = layers.LSTM(units, return_state=True)
encoder_outputs, state_h, state_c = encoder(layers.Embedding(vocab, units)(source))
decoder = layers.LSTM(units, return_sequences=True)
decoder_outputs = decoder(layers.Embedding(vocab, units)(target), initial_state=[state_h, state_c])
context = layers.Attention()([decoder_outputs, encoder_outputs])
logits = layers.TimeDistributed(layers.Dense(vocab))(layers.Concatenate()([decoder_outputs, context]))
model = keras.Model([source, target], logits)
