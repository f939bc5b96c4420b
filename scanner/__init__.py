"""qrgate scanner."""
