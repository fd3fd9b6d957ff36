"""Pure checkout logic: no I/O, no clock, no randomness. Time and ids are passed in."""
