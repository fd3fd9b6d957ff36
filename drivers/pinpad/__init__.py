"""Card pinpads (SPEC section 4, "Card pinpad"). `drivers.pinpad.zvt` speaks ZVT."""
