"""Connects to the analytics backend and stores tables atomically."""
