"""qrgate tests."""
