"""The one reader of the project, and everything the registered model ships (the model's
``code_paths`` are this package and nothing else of ``digit_pipeline``).

- ``images``: any image file turned into what the CNN reads, the way MNIST was made;
- ``items``: what is read (image files, 28x28 pixel arrays) and the served contract's items;
- ``recognizer``: the CNN and its calibration; ``results``: the typed readings;
- ``predictor``: ``Reader``, the stages behind one call, within ``limits``, on a ``gate``;
- ``pyfunc``: the registered model around a ``Reader``.
"""
