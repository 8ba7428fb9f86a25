"""The account bootstrap: a second Pulumi project, run once per account with admin rights."""
