"""qrgate gateway."""
