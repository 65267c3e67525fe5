"""The HTTP edge: one ASGI app, four dialects. The only package that imports FastAPI."""
