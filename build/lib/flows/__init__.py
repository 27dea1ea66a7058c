"""Orchestration (Prefect flows), the demo site and the `cityfacts` CLI. May import every other package."""
