"""The ingest layer: landing zone, feed contracts, validation, pseudonymisation and loading."""
