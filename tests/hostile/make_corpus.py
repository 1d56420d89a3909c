"""Writes the hostile import corpus next to this file: `python tests/hostile/make_corpus.py`.

Each file is one input that once made the import answer 500 (or, for the unterminated
quote, silently accepted garbage). The files are committed; this script documents how
each was made and rebuilds them byte for byte. tests/test_hostile_imports.py lists the
error each must produce.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
GOOD = '{"prompt_id": "p1", "prompt": "Draw a fox.", "system": "sys-a", "image": "a.png"}\n'


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def deflated_zip(data: bytes) -> bytearray:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.png", data)
    return bytearray(out.getvalue())


def central_offset(raw: bytearray) -> int:
    return raw.rindex(b"PK\x01\x02")


def bad_crc() -> bytes:
    raw = deflated_zip(png())
    for offset in (14, central_offset(raw) + 16):  # CRC-32 in the local header and the central directory
        raw[offset : offset + 4] = struct.pack("<I", zlib.crc32(b"not the data"))
    return bytes(raw)


def lying_size() -> bytes:
    """The headers claim the image is 10 bytes long (it is not): zipfile stops early, the CRC fails."""
    raw = deflated_zip(png())
    for offset in (22, central_offset(raw) + 24):  # uncompressed size
        raw[offset : offset + 4] = struct.pack("<I", 10)
    return bytes(raw)


def unsupported_method() -> bytes:
    """Compression method 6 (implode), which Python cannot read."""
    raw = deflated_zip(png())
    for offset in (8, central_offset(raw) + 10):
        raw[offset : offset + 2] = struct.pack("<H", 6)
    return bytes(raw)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


FILES: dict[str, bytes] = {
    "zip_bad_crc.zip": bad_crc(),
    "zip_lying_size.zip": lying_size(),
    "zip_unsupported_method.zip": unsupported_method(),
    "images_for_zips.jsonl": GOOD.encode(),
    "output_nul.jsonl": b'{"prompt_id": "p1", "prompt": "Hi", "system": "a", "output": "x\\u0000y"}\n',
    "prompt_lone_surrogate.jsonl": b'{"prompt_id": "p1", "prompt": "Hi \\ud800", "system": "a", "output": "x"}\n',
    "key_lone_surrogate.jsonl": b'{"prompt_id": "p1", "prompt": "Hi", "system": "a", "output": "x", "\\udfff": 1}\n',
    "messages_nul.jsonl": (
        b'{"prompt_id": "p1", "prompt": "Hi", "system": "a", "output": "x",'
        b' "messages": [{"role": "user", "content": "\\u0000"}]}\n'
    ),
    "meta_1e400.jsonl": b'{"prompt_id": "p1", "prompt": "Hi", "system": "a", "output": "x", "meta": {"score": 1e400}}\n',
    "meta_nan.jsonl": b'{"prompt_id": "p1", "prompt": "Hi", "system": "a", "output": "x", "meta": {"score": NaN}}\n',
    "meta_infinity.jsonl": (
        b'{"prompt_id": "p1", "prompt": "Hi", "system": "a", "output": "x", "meta": {"score": -Infinity}}\n'
    ),
    "nested_5000.jsonl": (
        '{"prompt_id": "p1", "prompt": "Hi", "system": "a", "output": "x", "meta": {"deep": ' + nested(5000) + "}}\n"
    ).encode(),
    "nested_100.jsonl": (
        '{"prompt_id": "p1", "prompt": "Hi", "system": "a", "output": "x", "meta": {"deep": ' + nested(100) + "}}\n"
    ).encode(),
    "cell_nul.csv": b"prompt_id,prompt,system,output\np1,Hi,a,x\x00y\n",
    "cell_json_nul.csv": b'prompt_id,prompt,system,output,meta\np1,Hi,a,x,"{""k"": ""\\u0000""}"\n',
    "cell_json_1e400.csv": b'prompt_id,prompt,system,output,meta\np1,Hi,a,x,"{""k"": 1e400}"\n',
    "unterminated_quote.csv": b'prompt_id,prompt,system,output\np1,Hi,a,x\np2,Hi,a,"never closed\np3,Hi,a,x\n',
    "stray_quote.csv": b'prompt_id,prompt,system,output\np1,Hi,a,"x"y\n',
    "gold_nul.jsonl": b'{"prompt_id": "p1", "system_a": "a", "system_b": "b", "answer": "a", "explanation": "\\u0000"}\n',
    "gold_unterminated.csv": b'prompt_id,system_a,system_b,answer,explanation\np1,a,b,a,"open\n',
    "gold_nested.jsonl": (
        '{"prompt_id": "p1", "system_a": "a", "system_b": "b", "answer": ' + nested(5000) + "}\n"
    ).encode(),
}


if __name__ == "__main__":
    for name, data in FILES.items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(FILES)} files to {HERE}")
