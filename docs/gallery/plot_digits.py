"""
An MLP on handwritten digits
============================

``examples/digits.py``: scikit-learn's 8x8 digits, an MLP trained with ``Adam`` and
``cross_entropy``, its test accuracy after each epoch. Here it trains 4 epochs instead of 30.
"""
import tempfile

import matplotlib.pyplot as plt

import digits  # examples/digits.py
import microtorch

microtorch.manual_seed(0)
data = digits.load_data(seed=0)
model = digits.make_model()
print(model)
history = digits.train(model, data, epochs=4, batch_size=32, seed=0)
for epoch, (loss, accuracy) in enumerate(zip(history["loss"], history["accuracy"]), 1):
    print(f"epoch {epoch}: loss {loss:.4f}, test accuracy {accuracy:.1%}")

# %%
# The example's own plot of the curves:
with tempfile.TemporaryDirectory() as folder:
    path = f"{folder}/curves.png"
    digits.plot(history, path)
    plt.figure(figsize=(9, 3.5))
    plt.imshow(plt.imread(path))
    plt.axis("off")
