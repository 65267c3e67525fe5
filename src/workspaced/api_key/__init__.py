"""Organization API keys: the credentials of a product's backend."""
