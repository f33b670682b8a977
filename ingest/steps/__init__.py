"""The steps of the ingest, one module each, in the order ingest/pipeline.py runs them.

A step takes the `Delivery` (ingest/delivery.py) and adds what it learned. The steps say *when*
and *in what order*; the work itself stays in the modules they call (readers, normalize,
validate, pseudonymise, load, audit, report).
"""
