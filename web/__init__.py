"""qrgate web."""
