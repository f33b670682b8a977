"""The warehouse layer: the embedded default server, migrations, roles and reference data."""
