"""A small encoder-decoder with three classic mistakes; lint it with `rnnlint examples/`."""
import keras
from keras import layers

latent_dim, num_tokens = 256, 64

encoder_inputs = keras.Input(shape=(None, num_tokens))
encoder = layers.LSTM(latent_dim)  # forgot return_state=True
encoder_outputs, state_h, state_c = encoder(encoder_inputs)

decoder_inputs = keras.Input(shape=(None, num_tokens))
decoder = layers.LSTM(latent_dim)  # forgot return_sequences=True
decoder_outputs = decoder(decoder_inputs, initial_state=[state_h, state_c])
probabilities = layers.TimeDistributed(layers.Dense(num_tokens, activation="softmax"))(decoder_outputs)

context = layers.Attention()([decoder_outputs, encoder_outputs])
