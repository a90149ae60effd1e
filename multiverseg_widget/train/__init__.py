"""Training the built-in default weights: synthetic and real tasks, simulated users, the loop."""
