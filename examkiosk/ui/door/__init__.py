"""The door station: check-in list, live camera, card reading, verdict and decision."""
