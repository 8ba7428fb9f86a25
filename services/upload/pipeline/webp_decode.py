"""Decode a WebP straight to the preview's size, with libwebp's own scaler.

Pillow decodes a WebP whole, through an RGBA canvas and two copies of it: a 100 MP WebP takes
1.6 GB and 3.5 s, which would size the processor's memory for the whole service. libwebp can
scale while it decodes (`WebPDecoderOptions.use_scaling`: rows are area-averaged as they come
out, so only the output is ever held), but Pillow does not expose it. This calls it through
ctypes, in the libwebp that Pillow itself loads (its wheels bundle one), with the decoder ABI
checked. When that library cannot be found or refuses the ABI, `decode_scaled` returns None
and the caller falls back to Pillow.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import glob
import os

from PIL import Image

DECODER_ABI_VERSION = 0x0209
"""decode.h's WEBP_DECODER_ABI_VERSION these structures follow; libwebp accepts any 0x02xx."""
MODE_RGB, MODE_RGBA = 0, 1
VP8_STATUS_OK = 0


class _Features(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("has_alpha", ctypes.c_int),
        ("has_animation", ctypes.c_int),
        ("format", ctypes.c_int),
        ("pad", ctypes.c_uint32 * 5),
    ]


class _RGBABuffer(ctypes.Structure):
    _fields_ = [
        ("rgba", ctypes.POINTER(ctypes.c_uint8)),
        ("stride", ctypes.c_int),
        ("size", ctypes.c_size_t),
    ]


class _YUVABuffer(ctypes.Structure):
    _fields_ = [
        *((plane, ctypes.POINTER(ctypes.c_uint8)) for plane in ("y", "u", "v", "a")),
        *((f"{plane}_stride", ctypes.c_int) for plane in ("y", "u", "v", "a")),
        *((f"{plane}_size", ctypes.c_size_t) for plane in ("y", "u", "v", "a")),
    ]


class _BufferUnion(ctypes.Union):
    _fields_ = [("RGBA", _RGBABuffer), ("YUVA", _YUVABuffer)]


class _DecBuffer(ctypes.Structure):
    _fields_ = [
        ("colorspace", ctypes.c_int),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("is_external_memory", ctypes.c_int),
        ("u", _BufferUnion),
        ("pad", ctypes.c_uint32 * 4),
        ("private_memory", ctypes.POINTER(ctypes.c_uint8)),
    ]


class _Options(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_int)
        for name in (
            "bypass_filtering",
            "no_fancy_upsampling",
            "use_cropping",
            "crop_left",
            "crop_top",
            "crop_width",
            "crop_height",
            "use_scaling",
            "scaled_width",
            "scaled_height",
            "use_threads",
            "dithering_strength",
            "flip",
            "alpha_dithering_strength",
        )
    ] + [("pad", ctypes.c_uint32 * 5)]


class _Config(ctypes.Structure):
    _fields_ = [("input", _Features), ("output", _DecBuffer), ("options", _Options)]


class WebPDecodeError(ValueError):
    """libwebp refused the data (truncated, garbled or unsupported)."""


def decode_scaled(data: bytes, size: tuple[int, int]) -> Image.Image | None:
    """`data` decoded at exactly `size` (RGB, or RGBA when it has alpha); None without libwebp.

    Raises WebPDecodeError on damaged data.
    """
    library = _libwebp()
    if library is None:
        return None
    config = _Config()
    if not library.WebPInitDecoderConfigInternal(ctypes.byref(config), DECODER_ABI_VERSION):
        return None
    source = ctypes.cast(ctypes.c_char_p(data), ctypes.POINTER(ctypes.c_uint8))
    status = library.WebPGetFeaturesInternal(
        source, len(data), ctypes.byref(config.input), DECODER_ABI_VERSION
    )
    if status != VP8_STATUS_OK:
        raise WebPDecodeError(f"libwebp status {status} reading the header")
    mode = "RGBA" if config.input.has_alpha else "RGB"
    width, height = size
    pixels = bytearray(width * height * len(mode))
    _set_output(config, mode, size, pixels)
    status = library.WebPDecode(source, len(data), ctypes.byref(config))
    if status != VP8_STATUS_OK:
        raise WebPDecodeError(f"libwebp status {status} decoding")
    return Image.frombytes(mode, size, pixels)


def _set_output(config: _Config, mode: str, size: tuple[int, int], pixels: bytearray) -> None:
    width, height = size
    if (width, height) != (config.input.width, config.input.height):
        config.options.use_scaling = 1
        config.options.scaled_width, config.options.scaled_height = width, height
    output = config.output
    output.colorspace = MODE_RGBA if mode == "RGBA" else MODE_RGB
    output.is_external_memory = 1
    output.u.RGBA.rgba = (ctypes.c_uint8 * len(pixels)).from_buffer(pixels)
    output.u.RGBA.stride = width * len(mode)
    output.u.RGBA.size = len(pixels)


@functools.cache
def _libwebp() -> ctypes.CDLL | None:
    for path in _candidates():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        if all(
            hasattr(library, name)
            for name in ("WebPInitDecoderConfigInternal", "WebPGetFeaturesInternal", "WebPDecode")
        ):
            library.WebPDecode.restype = ctypes.c_int
            library.WebPGetFeaturesInternal.restype = ctypes.c_int
            library.WebPInitDecoderConfigInternal.restype = ctypes.c_int
            return library
    return None


def _candidates() -> list[str]:
    """The libwebp Pillow's wheel bundles (Linux, macOS), then the system's."""
    pil = os.path.dirname(Image.__file__)
    bundled = [
        *glob.glob(os.path.join(pil, os.pardir, "pillow.libs", "libwebp-*.so*")),
        *glob.glob(os.path.join(pil, ".dylibs", "libwebp.*.dylib")),
    ]
    system = ctypes.util.find_library("webp")
    return [*sorted(bundled), *([system] if system else [])]
