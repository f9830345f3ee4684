"""The pure domain: canonical schema, metrics as Ibis expressions, scoring, rules."""
