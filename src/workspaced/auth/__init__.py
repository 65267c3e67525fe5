"""Personal access tokens and resolving a bearer token to a Principal."""
