"""The Pulumi side: generic building blocks and the three service components."""
