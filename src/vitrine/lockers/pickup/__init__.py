"""Pickup at the locker: a code opens its compartment once; guessing is limited and audited."""
