"""Tests of the upload service."""
