"""Small shared building blocks: database, clock, errors, filters, ordering, page tokens."""
