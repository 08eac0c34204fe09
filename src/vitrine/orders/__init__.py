"""Orders: carts, checkout, payments through a gateway interface, and the order state machine."""
