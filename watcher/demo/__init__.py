"""The bundled offline demo: a snapshot of feeds served on 127.0.0.1 and a full cycle over it."""
