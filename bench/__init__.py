"""Benchmarks of the image pipeline, the handlers' cold start and the deployed design's cost.

`python -m bench` measures ours (`process_image`) against naive Pillow, pyvips and the decode
floor, every run in a fresh process (`worker`), on generated photos (`images`), and prints one
table (`report`); `imports`, `cost`, `ablation`, `search` and `emulator` are its other
subcommands. BENCHMARKS.md
has the method, the results on the project's build machine and how to read them.
"""
