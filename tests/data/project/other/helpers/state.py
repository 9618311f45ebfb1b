from tensorflow.keras import layers

ENCODER = layers.LSTM(8)


def reset():
    global ENCODER
    ENCODER = layers.LSTM(8, return_sequences=True)
