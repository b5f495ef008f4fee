"""Images of handwriting made from MNIST digits, to tune and measure reading in the user's
world: ``pen`` writes digits, ``sheet`` is the paper photographed, ``photos`` makes the
kinds of image (a digit photo, a row, a sheet); ``writer`` is one unusual hand. None of
it ships with the registered model (``digit_pipeline.reading`` does)."""
