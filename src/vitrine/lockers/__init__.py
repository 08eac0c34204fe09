"""Parcel lockers: sites, compartments, pickup codes; planning/ chooses where lockers go."""
