"""The web edge: FastAPI pages and a JSON API under /api/v1, over the same services as gRPC."""
