"""Cases: an append-only journal of actions per case; the case's state is derived from it."""
