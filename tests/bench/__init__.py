"""Tests of the benchmark (bench/) and of the pipeline fast paths it measures."""
