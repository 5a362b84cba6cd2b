"""Human-facing renderings: the event table and the closing summary."""
