"""Market-test analytics: what shoppers look at, photograph, scan, and buy."""
