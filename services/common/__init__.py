"""Run-time helpers shared by every service's handlers (never imports pulumi)."""
