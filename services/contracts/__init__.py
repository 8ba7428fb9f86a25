"""Event contracts shared by every service: envelope, schemas, publishing and consuming."""
