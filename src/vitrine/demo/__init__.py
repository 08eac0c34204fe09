"""The demo showroom: a catalog of real product photos shipped in the package, and its loader."""
