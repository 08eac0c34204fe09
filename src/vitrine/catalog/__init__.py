"""The catalog: products, variants, prices and product images, and catalog import."""
