"""Drawing the demo image study: the PNG each demo image system "generated" for each image prompt.

The study's content (prompts, tags, systems, image paths, intended quality) is the import file
`demo/content/images.jsonl`; this module draws the images it names, with Pillow, deterministically (two runs
give byte-identical PNGs and zip). Some systems' PNGs carry generator metadata (a PNG text chunk and EXIF)
that the product's blinding must strip.
"""

from __future__ import annotations

import colorsys
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps, PngImagePlugin

IMAGE_SIZE = 256
#: These systems' PNGs carry generator metadata (PNG `parameters` text chunk and EXIF) that blinding must strip.
METADATA_SYSTEMS: frozenset[str] = frozenset({"kestrel-xl", "orchid-v1"})

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Shape:
    """One drawing operation in unit coordinates (0..1 of the canvas)."""

    kind: str  # ellipse | rect | polygon | line | arc
    colour: RGB
    coords: tuple[float, ...]  # ellipse/rect/arc: x0, y0, x1, y1; polygon/line: x, y, x, y, ...
    width: float = 0.0  # line/arc width in unit coordinates
    arc: tuple[int, int] = (0, 360)


@dataclass(frozen=True)
class Scene:
    """How to draw one image prompt: background (sky gradient, optional ground below a horizon) and shapes.

    The prompt's text, tags and each system's intended quality live in `demo/content/images.jsonl`.
    """

    id: str
    sky: tuple[RGB, RGB]  # top, bottom (equal colours = a plain background)
    shapes: tuple[Shape, ...]
    ground: tuple[RGB, RGB] | None = None
    horizon: float = 0.65
    #: Upset: the best system drops its last shape on this prompt (its lower quality is in the JSONL).
    best_misses_last: bool = False


def _e(colour: RGB, x0: float, y0: float, x1: float, y1: float) -> Shape:
    return Shape("ellipse", colour, (x0, y0, x1, y1))


def _r(colour: RGB, x0: float, y0: float, x1: float, y1: float) -> Shape:
    return Shape("rect", colour, (x0, y0, x1, y1))


def _poly(colour: RGB, *xy: float) -> Shape:
    return Shape("polygon", colour, xy)


def _line(colour: RGB, width: float, *xy: float) -> Shape:
    return Shape("line", colour, xy, width=width)


def _windows() -> tuple[Shape, ...]:
    """Lit windows of the night skyline, on a fixed grid (every third one dark)."""
    shapes = []
    for bx0, bx1, top in ((0.05, 0.25, 0.35), (0.3, 0.48, 0.5), (0.53, 0.72, 0.25), (0.76, 0.95, 0.42)):
        n = 0
        y = top + 0.04
        while y < 0.92:
            x = bx0 + 0.03
            while x < bx1 - 0.04:
                if n % 3 != 2:
                    shapes.append(_r((250, 214, 110), x, y, x + 0.03, y + 0.035))
                n += 1
                x += 0.055
            y += 0.07
    return tuple(shapes)


WHITE: RGB = (255, 255, 255)

SCENES: dict[str, Scene] = {
    scene.id: scene
    for scene in (
        Scene(
            "img-red-fox",
            sky=((150, 170, 195), (220, 228, 238)),
            ground=((245, 247, 252), (215, 222, 235)),
            horizon=0.55,
            shapes=(
                _e((196, 78, 30), 0.55, 0.52, 0.9, 0.66),  # tail
                _e(WHITE, 0.82, 0.56, 0.92, 0.63),  # tail tip
                _e((206, 86, 36), 0.28, 0.5, 0.66, 0.72),  # body
                _r((60, 40, 30), 0.33, 0.68, 0.37, 0.82),  # legs
                _r((60, 40, 30), 0.56, 0.68, 0.6, 0.82),
                _e((214, 96, 44), 0.16, 0.38, 0.38, 0.58),  # head
                _poly((190, 70, 26), 0.18, 0.44, 0.21, 0.3, 0.27, 0.42),  # ears
                _poly((190, 70, 26), 0.28, 0.41, 0.34, 0.29, 0.37, 0.43),
                _poly((245, 240, 232), 0.16, 0.5, 0.09, 0.53, 0.2, 0.57),  # white muzzle
                _e((20, 20, 20), 0.215, 0.45, 0.235, 0.47),  # eye
            ),
        ),
        Scene(
            "img-lighthouse-dusk",
            sky=((70, 48, 110), (245, 150, 80)),
            ground=((40, 60, 100), (15, 25, 50)),
            horizon=0.7,
            shapes=(
                _poly((250, 230, 140), 0.47, 0.24, 0.02, 0.12, 0.02, 0.36),  # light beam
                _poly((60, 55, 55), 0.3, 0.78, 0.7, 0.78, 0.8, 0.9, 0.2, 0.9),  # rock
                _poly((240, 240, 236), 0.43, 0.3, 0.57, 0.3, 0.62, 0.8, 0.38, 0.8),  # tower
                _poly((200, 40, 40), 0.42, 0.42, 0.58, 0.42, 0.59, 0.5, 0.41, 0.5),  # stripes
                _poly((200, 40, 40), 0.4, 0.6, 0.6, 0.6, 0.61, 0.68, 0.39, 0.68),
                _r((40, 40, 40), 0.42, 0.2, 0.58, 0.3),  # lantern room
                _e((255, 236, 150), 0.45, 0.21, 0.55, 0.29),  # lamp
                _poly((200, 40, 40), 0.4, 0.2, 0.5, 0.12, 0.6, 0.2),  # roof
            ),
        ),
        Scene(
            "img-three-blue-circles",
            sky=(WHITE, WHITE),
            shapes=(
                _e((30, 80, 210), 0.08, 0.38, 0.32, 0.62),
                _e((30, 80, 210), 0.38, 0.38, 0.62, 0.62),
                _e((30, 80, 210), 0.68, 0.38, 0.92, 0.62),
            ),
            # Upset: the best system draws only two circles here; lumen-3 counts right.
            best_misses_last=True,
        ),
        Scene(
            "img-sun-hills",
            sky=((70, 140, 230), (190, 225, 250)),
            ground=((110, 190, 80), (50, 120, 40)),
            horizon=0.72,
            shapes=(
                _e((255, 215, 40), 0.6, 0.1, 0.84, 0.34),  # sun
                _line((255, 215, 40), 0.012, 0.72, 0.04, 0.72, 0.0),
                _line((255, 215, 40), 0.012, 0.9, 0.22, 0.98, 0.22),
                _line((255, 215, 40), 0.012, 0.54, 0.22, 0.46, 0.22),
                _line((255, 215, 40), 0.012, 0.72, 0.4, 0.72, 0.46),
                _e((80, 160, 60), -0.2, 0.55, 0.6, 1.1),  # hills
                _e((60, 140, 50), 0.35, 0.6, 1.25, 1.15),
            ),
        ),
        Scene(
            "img-moon-sea",
            sky=((5, 8, 30), (30, 40, 80)),
            ground=((15, 25, 55), (3, 6, 18)),
            horizon=0.68,
            shapes=(
                _e((240, 240, 225), 0.38, 0.14, 0.62, 0.38),  # moon
                _e((215, 215, 200), 0.45, 0.2, 0.5, 0.25),  # craters
                _e((220, 220, 205), 0.53, 0.27, 0.57, 0.31),
                _r((200, 200, 180), 0.46, 0.72, 0.54, 0.735),  # reflection
                _r((170, 170, 160), 0.43, 0.78, 0.57, 0.79),
                _r((130, 130, 125), 0.4, 0.85, 0.6, 0.86),
            ),
        ),
        Scene(
            "img-apple-table",
            sky=((235, 225, 205), (215, 200, 175)),
            ground=((150, 100, 60), (110, 70, 40)),
            horizon=0.62,
            shapes=(
                _line((125, 82, 48), 0.006, 0.0, 0.76, 1.0, 0.76),  # planks
                _line((125, 82, 48), 0.006, 0.0, 0.88, 1.0, 0.88),
                _e((90, 60, 40), 0.3, 0.66, 0.72, 0.74),  # shadow
                _e((200, 25, 35), 0.3, 0.36, 0.7, 0.72),  # apple
                _e((235, 110, 110), 0.38, 0.44, 0.46, 0.52),  # highlight
                _line((90, 60, 30), 0.02, 0.5, 0.38, 0.52, 0.28),  # stem
                _e((70, 150, 50), 0.52, 0.26, 0.64, 0.32),  # leaf
            ),
        ),
        Scene(
            "img-snowy-mountain",
            sky=((40, 110, 220), (170, 210, 245)),
            ground=((120, 150, 110), (80, 110, 70)),
            horizon=0.8,
            shapes=(
                _poly((120, 125, 140), -0.1, 0.85, 0.32, 0.35, 0.7, 0.85),  # far peak
                _poly((95, 100, 115), 0.2, 0.85, 0.62, 0.18, 1.1, 0.85),  # main peak
                _poly(WHITE, 0.52, 0.34, 0.62, 0.18, 0.72, 0.34, 0.66, 0.31, 0.62, 0.36, 0.57, 0.31),  # snow cap
                _poly((240, 244, 250), 0.26, 0.48, 0.32, 0.35, 0.39, 0.48),
            ),
        ),
        Scene(
            "img-tree-field",
            sky=((100, 160, 235), (200, 228, 250)),
            ground=((140, 200, 90), (80, 150, 50)),
            horizon=0.7,
            shapes=(
                _r((110, 70, 35), 0.46, 0.45, 0.54, 0.82),  # trunk
                _e((40, 130, 45), 0.26, 0.15, 0.58, 0.5),  # canopy
                _e((50, 150, 55), 0.42, 0.12, 0.74, 0.47),
                _e((35, 120, 40), 0.33, 0.3, 0.67, 0.6),
            ),
        ),
        Scene(
            "img-cat-sofa",
            sky=((225, 220, 210), (200, 195, 185)),
            ground=((150, 120, 90), (120, 95, 70)),
            horizon=0.85,
            shapes=(
                _r((235, 125, 35), 0.08, 0.3, 0.92, 0.62),  # backrest
                _r((225, 110, 25), 0.08, 0.58, 0.92, 0.8),  # seat
                _r((215, 100, 20), 0.02, 0.42, 0.14, 0.82),  # arms
                _r((215, 100, 20), 0.86, 0.42, 0.98, 0.82),
                _e((20, 20, 24), 0.36, 0.42, 0.7, 0.62),  # cat body
                _e((20, 20, 24), 0.28, 0.32, 0.44, 0.48),  # head
                _poly((20, 20, 24), 0.29, 0.37, 0.3, 0.26, 0.35, 0.33),  # ears
                _poly((20, 20, 24), 0.37, 0.33, 0.42, 0.26, 0.43, 0.37),
                _line((20, 20, 24), 0.03, 0.68, 0.56, 0.78, 0.5, 0.8, 0.38),  # tail
                _e((180, 220, 60), 0.315, 0.38, 0.335, 0.405),  # eyes
                _e((180, 220, 60), 0.375, 0.38, 0.395, 0.405),
            ),
        ),
        Scene(
            "img-square-in-circle",
            sky=(WHITE, WHITE),
            shapes=(
                _e((250, 205, 30), 0.15, 0.15, 0.85, 0.85),
                _r((120, 40, 160), 0.33, 0.33, 0.67, 0.67),
            ),
        ),
        Scene(
            "img-city-night",
            sky=((8, 10, 35), (45, 40, 90)),
            ground=((25, 25, 30), (10, 10, 12)),
            horizon=0.92,
            shapes=(
                _e((245, 245, 220), 0.78, 0.06, 0.9, 0.18),  # moon
                _r((40, 42, 55), 0.05, 0.35, 0.25, 0.95),  # buildings
                _r((50, 50, 65), 0.3, 0.5, 0.48, 0.95),
                _r((35, 38, 50), 0.53, 0.25, 0.72, 0.95),
                _r((45, 46, 60), 0.76, 0.42, 0.95, 0.95),
                _line((200, 60, 60), 0.01, 0.625, 0.25, 0.625, 0.15),  # antenna
                *_windows(),
            ),
        ),
        Scene(
            "img-sailboat-lake",
            sky=((120, 180, 240), (225, 238, 250)),
            ground=((60, 130, 200), (25, 80, 150)),
            horizon=0.6,
            shapes=(
                _poly((70, 110, 90), 0.0, 0.6, 0.2, 0.5, 0.45, 0.6),  # far shore
                _poly((110, 70, 40), 0.3, 0.66, 0.75, 0.66, 0.68, 0.76, 0.36, 0.76),  # hull
                _line((70, 50, 30), 0.012, 0.52, 0.66, 0.52, 0.2),  # mast
                _poly((250, 250, 245), 0.535, 0.22, 0.535, 0.63, 0.72, 0.63),  # sails
                _poly((240, 240, 235), 0.505, 0.28, 0.505, 0.63, 0.37, 0.63),
                _r((230, 240, 250), 0.38, 0.8, 0.66, 0.81),  # reflection
            ),
        ),
    )
}


def _gradient(top: RGB, bottom: RGB, width: int, height: int) -> np.ndarray:
    """A vertical linear gradient, float32 array of shape (height, width, 3)."""
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = (1.0 - t) * np.array(top, dtype=np.float32) + t * np.array(bottom, dtype=np.float32)
    return np.broadcast_to(column, (height, width, 3))


def _mean(pair: tuple[RGB, RGB]) -> RGB:
    return tuple((a + b) // 2 for a, b in zip(*pair, strict=True))  # type: ignore[return-value]


def _wrong_colour(colour: RGB) -> RGB:
    """A clearly wrong colour: rotate the hue by 150° (blue becomes orange-red, green becomes purple)."""
    h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in colour))
    r, g, b = colorsys.hsv_to_rgb((h + 150 / 360) % 1.0, s, v)
    return (round(r * 255), round(g * 255), round(b * 255))


def _background(scene: Scene, size: int, *, gradients: bool, invert: bool = False) -> Image.Image:
    sky = scene.sky[::-1] if invert else scene.sky
    if gradients:
        canvas = _gradient(sky[0], sky[1], size, size).copy()
    else:
        canvas = np.empty((size, size, 3), dtype=np.float32)
        canvas[:] = _mean(sky)
    if scene.ground is not None:
        y = round(scene.horizon * size)
        if gradients:
            canvas[y:] = _gradient(scene.ground[0], scene.ground[1], size, size - y)
        else:
            canvas[y:] = _mean(scene.ground)
    return Image.fromarray(np.clip(canvas + 0.5, 0, 255).astype(np.uint8), "RGB")


def _draw(image: Image.Image, shapes: Iterable[Shape], *, recolour: Callable[[RGB], RGB], shift: float = 0.0) -> None:
    size = image.width
    draw = ImageDraw.Draw(image)

    def px(values: tuple[float, ...]) -> list[float]:
        return [(v + shift) * size for v in values]

    for shape in shapes:
        colour = recolour(shape.colour)
        if shape.kind == "ellipse":
            draw.ellipse(px(shape.coords), fill=colour)
        elif shape.kind == "rect":
            draw.rectangle(px(shape.coords), fill=colour)
        elif shape.kind == "polygon":
            draw.polygon(px(shape.coords), fill=colour)
        elif shape.kind == "line":
            draw.line(px(shape.coords), fill=colour, width=max(1, round(shape.width * size)))
        else:  # pragma: no cover - the scenes above only use the kinds handled here
            raise ValueError(f"unknown shape kind {shape.kind!r}")


def _area(shape: Shape) -> float:
    """Bounding-box area of a shape in unit coordinates (what "the biggest object" means)."""
    xs, ys = shape.coords[0::2], shape.coords[1::2]
    return (max(xs) - min(xs)) * (max(ys) - min(ys))


def _keep(colour: RGB) -> RGB:
    return colour


def _render(scene: Scene, system: str, seed: int) -> Image.Image:
    """Draw `scene` the way `system` would: from a faithful composition down to coloured noise."""
    size = IMAGE_SIZE
    shapes = scene.shapes
    if system == "kestrel-xl":
        # Best: gradients, every object, 2× supersampled for smooth edges.
        if scene.best_misses_last:
            shapes = shapes[:-1]
        big = _background(scene, size * 2, gradients=True)
        _draw(big, shapes, recolour=_keep)
        return big.resize((size, size), Image.Resampling.LANCZOS)
    if system == "lumen-3":
        # Good: right objects and colours, but flat colours, jagged edges, a slightly off-centre layout.
        image = _background(scene, size, gradients=False)
        _draw(image, shapes, recolour=_keep, shift=0.03)
        return ImageOps.posterize(image, 3)
    if system == "orchid-v1":
        # Weak: wrong colours, the sky upside down, and the biggest object missing.
        image = _background(scene, size, gradients=True, invert=True)
        biggest = max(range(len(shapes)), key=lambda i: _area(shapes[i]))
        _draw(image, shapes[:biggest] + shapes[biggest + 1 :], recolour=_wrong_colour, shift=-0.02)
        return image
    if system == "quartz-0":
        # Worst: a blurred smear of half the objects under heavy noise.
        image = _background(scene, size, gradients=False)
        _draw(image, shapes[::2], recolour=_keep, shift=0.06)
        image = image.filter(ImageFilter.GaussianBlur(9))
        noise = np.random.default_rng(seed).normal(0.0, 45.0, (size, size, 3))
        noisy = np.asarray(image, dtype=np.float32) + noise
        return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")
    raise ValueError(f"unknown image system {system!r}")


def _png_bytes(image: Image.Image, *, system: str, prompt: str) -> bytes:
    """Encode a PNG; systems in METADATA_SYSTEMS get a generator text chunk and an EXIF blob."""
    out = io.BytesIO()
    if system in METADATA_SYSTEMS:
        info = PngImagePlugin.PngInfo()
        info.add_text("parameters", f"{prompt}\nSteps: 30, Sampler: Euler a, CFG scale: 7, Seed: 1234, Model: {system}")
        info.add_text("Software", f"{system} image generator")
        exif = Image.Exif()
        exif[0x0131] = f"{system}"  # Software
        exif[0x010E] = prompt  # ImageDescription
        exif[0x013B] = f"{system} team"  # Artist
        image.save(out, format="PNG", pnginfo=info, exif=exif.tobytes(), optimize=False)
    else:
        image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def image_zip(rows: Iterable[dict]) -> bytes:
    """The images zip for import rows of `images.jsonl`: one PNG per row at its `image` path.

    The PNG of row ``(prompt_id, system)`` is ``SCENES[prompt_id]`` drawn the way ``system`` draws, seeded by
    the row's position in the file. Fixed timestamps and permissions: the same rows give the same bytes.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        files = []
        for position, row in enumerate(rows):
            image = _render(SCENES[row["prompt_id"]], row["system"], seed=1000 + position)
            files.append((row["image"], _png_bytes(image, system=row["system"], prompt=row["prompt"])))
        for name, data in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()
