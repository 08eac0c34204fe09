"""Operator accounts: who may run a showroom, with hashed passwords."""
