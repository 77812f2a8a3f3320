"""
A small CNN on digits
=====================

``examples/cnn_digits.py``: ``Conv2d``, ``MaxPool2d``, ``BatchNorm2d`` and ``Linear`` layers, a
``DataLoader``, ``Adam`` with a cosine learning-rate schedule, on scikit-learn's digits upscaled to
16x16. Here it trains on 40 batches instead of 16 epochs.
"""
import cnn_digits  # examples/cnn_digits.py

print(cnn_digits.make_model())
with cnn_digits.one_blas_thread():
    model, test_accuracy, last_loss = cnn_digits.train(epochs=1, seed=0, max_batches=40)
print(f"{model.num_parameters()} parameters; last batch loss {last_loss:.4f}; test accuracy {test_accuracy:.1%}")
