"""The officers' REST API under ``/api/v1``."""
