"""Training the networks: the CNN and the line model, their data on the fly, the
hardware they train on, calibration and the perturbations that measure them."""
