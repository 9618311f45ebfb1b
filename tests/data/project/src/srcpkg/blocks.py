from tensorflow.keras import layers

STEP = layers.LSTM(8)
