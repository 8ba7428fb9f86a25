"""The demo: a web front end's client, sample images, and the scenario the demo and the
end-to-end tests both run (``python -m local demo`` is ``run.run_demo``).

- ``client``: ``Marketplace``, the HTTP client over the local environment's endpoints, with
  the presigned-POST upload every test uploads through, and ``wait_for``.
- ``samples``: the images the scenario uploads and how to compare what comes back.
- ``scenario``: the scenario's steps; ``tests/e2e/test_scenario.py`` drives the same steps.
- ``run``: the runner that brings the environment up, runs the scenario and reports.
"""
