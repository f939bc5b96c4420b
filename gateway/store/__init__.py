"""All SQL of the gateway: async functions with named parameters returning small dataclasses."""
