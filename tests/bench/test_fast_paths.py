"""The pipeline's fast paths give what the simple ways give, and the benchmark's arithmetic.

Each optimisation measured in BENCHMARKS.md replaced a simple call by a cheaper one; these
tests pin that the cheaper one is exactly as correct (same pixels, same segment boundaries).
"""

from __future__ import annotations

import ctypes.util
import io
import re
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from bench import ablation, cost_inputs, cost_model, imports, report
from bench.runner import Runs
from services.contracts.manifest import COMMON_ENVIRONMENT, all_manifests
from services.upload.pipeline import renditions
from services.upload.pipeline.jpeg_segments import _MARKER_IN_SCAN, _ScanEnds, strip_jpeg
from services.upload.pipeline.memory import keep_freed_memory
from services.upload.pipeline.modes import resamplable
from services.upload.pipeline.renditions import exact_reduction, resample
from services.upload.pipeline.watermark import pieces_for, stamp, stamp_for
from tests.services.upload import images

REPO_ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------------
# Pipeline fast paths


@pytest.mark.parametrize("size", [(1600, 1067), (1067, 1600), (1600, 1600), (900, 600), (40, 30)])
def test_stamp_marks_exactly_what_pasting_the_whole_stamp_does(size: tuple[int, int]) -> None:
    # GIVEN a photo-like preview, and the whole square stamp pasted on a copy of it
    preview = images.natural_image(*size)
    ink, mask = stamp_for(max(size))
    expected = preview.copy()
    expected.paste(ink, (0, 0), mask)

    # WHEN it is stamped piece by piece
    stamp(preview)

    # THEN every pixel is the same, and the pieces cover less than the whole image
    assert ImageChops.difference(preview, expected).getbbox() is None
    covered = sum(piece.width * piece.height for _, piece, _ in pieces_for(size))
    assert covered < size[0] * size[1]


@pytest.mark.parametrize(
    ("source", "target", "factor"),
    [
        ((1600, 1067), (400, 267), 4),
        ((1600, 1200), (400, 300), 4),
        ((1200, 1600), (300, 400), 4),
        ((2250, 1500), (1600, 1067), None),
        ((1000, 700), (400, 280), None),
        ((800, 533), (400, 267), 2),
    ],
)
def test_exact_reduction_only_when_reduce_lands_on_the_target(
    source: tuple[int, int], target: tuple[int, int], factor: int | None
) -> None:
    # GIVEN a resize / WHEN an integer reduction is looked for / THEN only an exact one is used
    assert exact_reduction(source, target) == factor


def test_resample_by_reduction_averages_boxes() -> None:
    # GIVEN a 1600 x 1067 image of 4 x 4 blocks of one grey each
    blocks = Image.new("L", (400, 267))
    blocks.putdata([(x * 7 + y * 3) % 256 for y in range(267) for x in range(400)])
    image = blocks.resize((1600, 1068), Image.Resampling.NEAREST).crop((0, 0, 1600, 1067))

    # WHEN resampled to the thumbnail size
    thumbnail = resample(image.convert("RGB"), (400, 267))

    # THEN each block becomes its grey again (the last row averages its three rows)
    assert thumbnail.size == (400, 267)
    assert ImageChops.difference(thumbnail.convert("L"), blocks).getbbox() is None


@pytest.mark.parametrize(
    "kind",
    ["palette-with-transparency", "grey-16-bit", "palette", "grey-16-bit-keyed", "1-bit-keyed"],
)
def test_reduced_in_bands_is_the_whole_image_converted_then_reduced(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an image whose mode must be converted before resampling, and small bands
    photo = images.natural_image(640, 500)
    ramp = images.decode(images.png_16bit_grey(640, 500))  # 16-bit grey, one level per column
    data = {
        "palette-with-transparency": images.palette_png_with_transparency(640, 500),
        "grey-16-bit": images.png_16bit_grey(640, 500),
        "palette": images.encode(photo.quantize(64), "PNG"),
        "grey-16-bit-keyed": images.encode(ramp, "PNG", transparency=ramp.getpixel((320, 0))),
        "1-bit-keyed": images.encode(photo.convert("1"), "PNG", transparency=0),
    }[kind]
    image = images.decode(data)
    monkeypatch.setattr(renditions, "BAND_PIXELS", 640 * 21)  # 7 rows of 3: a partial band too

    # WHEN converted and reduced band by band towards 200 x 156
    banded = renditions.reduced_in_bands(image, (200, 156))

    # THEN it is exactly the whole image converted, then reduced by the same factors
    whole = resamplable(image).reduce((3, 3))
    assert banded.mode == whole.mode and banded.size == whole.size == (214, 167)
    assert ImageChops.difference(banded, whole).getbbox() is None


def _jpeg_scan(data: bytes) -> int:
    """Where the first scan's entropy-coded data starts."""
    start = data.index(b"\xff\xda")
    return start + 2 + int.from_bytes(data[start + 2 : start + 4], "big")


@pytest.mark.parametrize("progressive", [False, True])
def test_scan_ends_agree_with_the_regular_expression_on_a_photo(progressive: bool) -> None:
    # GIVEN a photo's JPEG (progressive: several scans with tables between them)
    data = images.encode(images.natural_image(640, 480), "JPEG", progressive=progressive)
    position = _jpeg_scan(data)

    # WHEN the end of the first scan is found with find() steps
    found = _ScanEnds(data).end_of_scan(position)

    # THEN it is where the regular expression finds it: the next real marker
    assert found == _MARKER_IN_SCAN.search(data, position).start()
    assert data[found] == 0xFF and data[found + 1] not in (0x00, *range(0xD0, 0xD8), 0xFF)


def test_scan_ends_hand_over_to_the_expression_when_ff_bytes_are_dense() -> None:
    # GIVEN a scan crafted to be nothing but stuffed FF00 and restart markers, then EOI
    head = b"\xff\xd8\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
    data = head + (b"\xff\x00" * 3000 + b"\xff\xd3") * 4 + b"\xff\xd9"

    # WHEN the scan's end is found (the find() budget is far smaller than the FF count)
    scans = _ScanEnds(data)
    found = scans.end_of_scan(len(head))

    # THEN the budget ran out, and the end is still exactly the EOI marker
    assert scans._steps == 0
    assert found == len(data) - 2


def test_strip_jpeg_result_is_unchanged_by_the_fast_scan() -> None:
    # GIVEN a photo with private metadata and a trailer after its end
    data = images.photo_with_private_metadata(images.natural_image(320, 240)) + b"<html>"

    # WHEN stripped
    stripped = strip_jpeg(data)

    # THEN the scan is carried over byte for byte and nothing after EOI remains
    scan = data[_jpeg_scan(data) : data.rindex(b"\xff\xd9")]
    assert scan in stripped and stripped.endswith(b"\xff\xd9")
    assert b"<html>" not in stripped and images.CAMERA_SERIAL.encode() not in stripped


@pytest.mark.skipif(
    not (ctypes.util.find_library("c") or "").startswith("libc.so"), reason="glibc only"
)
def test_keep_freed_memory_tunes_glibc() -> None:
    # GIVEN glibc / WHEN asked to keep freed memory / THEN mallopt accepted both settings
    assert keep_freed_memory() is True


# --------------------------------------------------------------------------------------------
# The benchmark's own logic


def test_handler_modules_are_the_functions_of_services_readme() -> None:
    # GIVEN the handler table of services/README.md
    readme = (REPO_ROOT / "services" / "README.md").read_text()
    documented = set(re.findall(r"`(services\.\w+\.\w+)\.lambda_handler`", readme))

    # WHEN the import benchmark lists handler modules from the components
    # THEN it measures exactly those
    assert set(imports.handler_modules()) == documented


def test_cost_default_workload_reproduces_the_seeds_volumes() -> None:
    # GIVEN the default volumes / WHEN API requests and Lambda invocations are derived
    workload = cost_inputs.Workload()
    calls = sum(workload.count(per) for per in cost_inputs.INVOCATIONS_PER.values())

    # THEN they are seed 000's 3 M API requests and 5 M Lambda calls
    assert workload.api_requests == 3_000_000
    assert calls == 5_000_000


def test_cost_per_thousand_uploads_scales_cpu_with_the_vcpu_share() -> None:
    # GIVEN a 130 ms pipeline, no Rekognition, arm64 at 1024 MB (0.58 vCPU)
    prices = cost_inputs.load_prices()
    measured = cost_inputs.Measured(130.0, dict(cost_inputs.DEFAULT_SIZES), {}, "test")
    processor = cost_inputs.FunctionSettings("p", "services.upload.processor", 1024, "arm64", True)
    deployment = cost_inputs.Deployment("test", functions=[processor])

    # WHEN the price per 1,000 uploads is computed
    result = cost_model.per_thousand_uploads(1024, measured, deployment, prices)

    # THEN the pipeline takes 130 ms / (1024 / 1769) and is billed at 1 GB-s rates
    pipeline_ms = 130.0 * 1769 / 1024
    assert result["pipeline_ms"] == pytest.approx(pipeline_ms, abs=0.1)
    seconds = (pipeline_ms + cost_inputs.PROCESSOR_IO_MS) / 1000
    expected = 1000 * (seconds * prices["lambda"]["gb_second_arm64"] + 0.2e-6)
    assert result["usd_total"] == pytest.approx(expected)


def test_report_targets_say_met_or_missed() -> None:
    # GIVEN 24 MP results: ours 120 ms, floor 100, naive 600, pyvips 130
    def runs(wall: float) -> Runs:
        return Runs(runs=[{"wall_ms": wall}])

    results = {"ours": runs(120), "floor": runs(100), "naive": runs(600), "pyvips": runs(130)}
    rows = [{"name": "jpeg-24mp", "ratios": report.ratios(results), "results": {}}]

    # WHEN the targets are checked
    checks = {check["what"]: check["met"] for check in report.targets(rows)}

    # THEN 1.2x the floor and 5x naive are met, 1.08x faster than pyvips is not
    assert checks == {"ours / floor": True, "naive / ours": True, "pyvips / ours": False}


def test_quick_variant_is_small_enough_for_the_smoke_test() -> None:
    # GIVEN the quick variant / WHEN encoded / THEN it is a small JPEG with camera metadata
    from bench.images import encode, quick_variant

    data = encode(quick_variant())
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (1800, 1200)
    assert image.getexif().get_ifd(0x8825)  # GPS, as a phone writes it


@pytest.mark.parametrize("name", sorted(ablation.BY_NAME))
def test_ablation_reverts_patch_what_exists_and_restore_it(name: str) -> None:
    # GIVEN one optimisation's revert
    patches = ablation.BY_NAME[name].patches()
    before = [getattr(target, attribute) for target, attribute, _ in patches]

    # WHEN it is applied for a block
    with ablation.reverted([name]):
        during = [getattr(target, attribute) for target, attribute, _ in patches]

    # THEN it replaced attributes the pipeline really has, and put them back afterwards
    assert all(hasattr(target, attribute) for target, attribute, _ in patches)
    assert all(now is not then for now, then in zip(during, before, strict=True))
    assert [getattr(target, attribute) for target, attribute, _ in patches] == before


def test_bench_imports_gives_every_variable_a_manifest_declares() -> None:
    # GIVEN every environment variable any function of any service reads
    declared = {
        name for manifest in all_manifests() for spec in manifest.functions
        for name in (*COMMON_ENVIRONMENT, *spec.environment)
    }  # fmt: skip
    # THEN the import benchmark sets each (a handler reading a missing one fails to import)
    assert declared <= set(imports.DUMMY_ENVIRONMENT), declared - set(imports.DUMMY_ENVIRONMENT)
