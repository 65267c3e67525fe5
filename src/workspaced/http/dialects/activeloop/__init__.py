"""The `activeloop` dialect: the Activeloop Deep Research API's workspace routes at
`/workspaces`, with FastAPI's own error bodies (seeds 000 and 001)."""
