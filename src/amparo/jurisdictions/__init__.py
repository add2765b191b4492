"""Jurisdictions: the States (ISO 3166-1 alpha-3) whose programmes a deployment runs."""
