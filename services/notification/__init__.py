"""The notification service: e-mails buyers and photographers about their purchases and uploads."""
