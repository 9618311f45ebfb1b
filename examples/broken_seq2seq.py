import keras
from keras import layers

tokens = keras.Input(shape=(None, 64))
encoder = layers.LSTM(256)  # forgot return_state=True
sequence, state_h, state_c = encoder(tokens)
decoder = layers.LSTM(256)  # forgot return_sequences=True
decoded = decoder(tokens, initial_state=[state_h, state_c])
probabilities = layers.TimeDistributed(layers.Dense(64))(decoded)
context = layers.Attention()([decoded, sequence])
