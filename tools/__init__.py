"""Repository tools run by CI and by hand: affected stacks, CODEOWNERS, deploy-role policies."""
