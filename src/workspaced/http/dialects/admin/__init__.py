"""The `admin` dialect (seed 003): organization admins' view of workspace users, RFC 9457 errors."""
