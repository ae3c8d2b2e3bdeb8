"""Local emulation: an embedded moto server on 127.0.0.1 that plays AWS, so that the product runs with no account."""
