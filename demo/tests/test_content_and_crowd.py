"""The demo's content files and image drawing, and the one rater simulator (pure: no database)."""

from __future__ import annotations

import io
import json
import random
import re
import statistics
import zipfile
from collections import Counter

import numpy as np
import pytest
from PIL import Image

from demo.crowd import DEMO_RATER_PROFILES, RaterProfile, simulate_choice, simulate_judgment, simulate_seconds
from demo.images import IMAGE_SIZE, METADATA_SYSTEMS, SCENES, image_zip
from demo.loader import CONTENT_DIR


def _rows(name: str) -> list[dict]:
    rows = []
    for number, line in enumerate((CONTENT_DIR / name).read_text(encoding="utf-8").splitlines(), start=1):
        row = json.loads(line)
        assert isinstance(row, dict), f"{name} line {number} is not an object"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def image_rows() -> list[dict]:
    return _rows("images.jsonl")


@pytest.fixture(scope="module")
def images(image_rows: list[dict]) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(image_zip(image_rows)))


def _pixels(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    with Image.open(io.BytesIO(archive.read(name))) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32)


def test_content_sizes_are_the_ones_docs_demo_md_gives() -> None:
    text, gold, image = _rows("text.jsonl"), _rows("text_gold.jsonl"), _rows("images.jsonl")
    assert (len({r["prompt_id"] for r in text}), len({r["system"] for r in text}), len(text)) == (48, 4, 192)
    assert (len({r["prompt_id"] for r in image}), len({r["system"] for r in image}), len(image)) == (12, 4, 48)
    assert len(gold) == 6 and Counter(g["answer"]["overall"] for g in gold) == {"a": 3, "b": 3}
    # every output carries its intended quality for the simulated crowd, in the owner-only meta
    assert all(0 <= r["meta"]["demo_quality"] <= 1 for r in text + image)
    # every image prompt has a drawing
    assert {r["prompt_id"] for r in image} == set(SCENES)


def test_image_zip_holds_one_valid_png_per_row_and_is_byte_identical(image_rows, images) -> None:
    assert set(images.namelist()) == {row["image"] for row in image_rows}
    for row in image_rows:
        assert re.fullmatch(r"imgs/[a-z0-9_.-]+\.png", row["image"]), row["image"]
        with Image.open(io.BytesIO(images.read(row["image"]))) as image:
            assert (image.format, image.size, image.mode) == ("PNG", (IMAGE_SIZE, IMAGE_SIZE), "RGB")
    assert image_zip(image_rows) == image_zip(image_rows)


def test_generator_metadata_on_some_pngs_only(image_rows, images) -> None:
    for row in image_rows:
        with Image.open(io.BytesIO(images.read(row["image"]))) as image:
            if row["system"] in METADATA_SYSTEMS:
                assert f"Model: {row['system']}" in image.text["parameters"]
                assert image.getexif().get(0x0131) == row["system"]
            else:
                assert not image.text and not image.getexif()
            assert row["meta"]["generator_metadata"] is (row["system"] in METADATA_SYSTEMS)


def test_images_differ_visibly_in_quality_and_the_upset_miscounts(image_rows, images) -> None:
    by = {(r["prompt_id"], r["system"]): r["image"] for r in image_rows}
    for prompt_id in SCENES:
        grain_best = np.abs(np.diff(_pixels(images, by[prompt_id, "kestrel-xl"]), axis=1)).mean()
        grain_worst = np.abs(np.diff(_pixels(images, by[prompt_id, "quartz-0"]), axis=1)).mean()
        assert grain_worst > 3 * grain_best, prompt_id
    counts = {}
    for system in ("kestrel-xl", "lumen-3"):
        row = _pixels(images, by["img-three-blue-circles", system])[IMAGE_SIZE // 2 + 5]
        blue = (row[:, 2] > 150) & (row[:, 0] < 100)
        counts[system] = int(np.count_nonzero(np.diff(blue.astype(int)) == 1) + blue[0])
    assert counts == {"kestrel-xl": 2, "lumen-3": 3}


def test_always_left_always_picks_the_left_side() -> None:
    rng = random.Random(1)
    for left in ("a", "b"):
        assert {simulate_choice(rng, 0.9, 0.1, "always_left", left_side=left) for _ in range(300)} == {left}


def test_honest_prefers_higher_quality_and_noise_blurs_it() -> None:
    def share_a(noise: float) -> float:
        rng = random.Random(7)
        votes = Counter(simulate_choice(rng, 0.8, 0.45, "honest", noise=noise) for _ in range(4000))
        return votes["a"] / (votes["a"] + votes["b"])

    sharp, blurred = share_a(0.5), share_a(2.2)
    assert sharp > 0.9 and 0.55 < blurred < sharp
    rng = random.Random(8)
    flipped = Counter(simulate_choice(rng, 0.45, 0.8, "honest") for _ in range(4000))
    assert flipped["b"] > 3 * flipped["a"]


def test_honest_ties_and_both_bad_follow_the_profile() -> None:
    rng = random.Random(3)
    close = Counter(simulate_choice(rng, 0.6, 0.6, "honest") for _ in range(4000))
    crisp = Counter(simulate_choice(rng, 0.6, 0.6, "honest", tie_at_equal=0.1) for _ in range(4000))
    assert close["tie"] > 0.7 * 4000 > 0.15 * 4000 > crisp["tie"]
    weak = Counter(simulate_choice(rng, 0.2, 0.3, "honest") for _ in range(2000))
    assert weak["both_bad"] > 0.2 * 2000
    assert Counter(simulate_choice(rng, 0.8, 0.9, "honest") for _ in range(2000))["both_bad"] < 0.05 * 2000


def test_random_and_speeder_ignore_quality() -> None:
    rng = random.Random(5)
    votes = Counter(simulate_choice(rng, 0.95, 0.05, "random") for _ in range(8000))
    assert set(votes) == {"a", "b", "tie", "both_bad"} and max(votes.values()) < 0.28 * 8000
    votes = Counter(simulate_choice(rng, 0.95, 0.05, "speeder") for _ in range(4000))
    assert set(votes) == {"a", "b"} and abs(votes["a"] - votes["b"]) < 0.06 * 4000
    fast = [simulate_seconds(rng, "speeder") for _ in range(500)]
    honest = [simulate_seconds(rng, "honest") for _ in range(500)]
    assert 1.0 <= min(fast) and max(fast) <= 2.0 and min(honest) >= 4.0 and statistics.median(honest) > 10


def test_bad_behaviour_or_side_is_a_clear_error() -> None:
    rng = random.Random(0)
    with pytest.raises(ValueError, match="unknown behaviour 'lazy'"):
        simulate_choice(rng, 0.5, 0.5, "lazy")
    with pytest.raises(ValueError, match="left_side"):
        simulate_choice(rng, 0.5, 0.5, "always_left", left_side="left")
    with pytest.raises(ValueError, match="unknown behaviour"):
        simulate_seconds(rng, "lazy")


def test_demo_crowd_ranks_the_text_systems_in_their_intended_order() -> None:
    assert Counter(p.behaviour for p in DEMO_RATER_PROFILES) == {
        "honest": 12,
        "random": 1,
        "always_left": 1,
        "speeder": 1,
    }
    quality = {(r["prompt_id"], r["system"]): r["meta"]["demo_quality"] for r in _rows("text.jsonl")}
    systems = sorted({s for _, s in quality})
    rng = random.Random(11)
    wins: Counter[str] = Counter()
    games: Counter[str] = Counter()
    for profile in DEMO_RATER_PROFILES:
        for prompt_id in sorted({p for p, _ in quality}):
            for i, sa in enumerate(systems):
                for sb in systems[i + 1 :]:
                    choice, _ = simulate_judgment(
                        rng, profile, quality[prompt_id, sa], quality[prompt_id, sb], left_side=rng.choice("ab")
                    )
                    games[sa] += 1
                    games[sb] += 1
                    wins[sa] += {"a": 1, "tie": 0.5}.get(choice, 0)
                    wins[sb] += {"b": 1, "tie": 0.5}.get(choice, 0)
    rate = {s: wins[s] / games[s] for s in systems}
    assert rate["atlas-70b"] > rate["borealis-8b"] > rate["cirrus-mini"] > rate["dune-2"], rate


def test_a_profile_carries_its_own_tie_and_both_bad_rates() -> None:
    rng = random.Random(2)
    crisp = RaterProfile("crisp", "honest", noise=0.5, tie_at_equal=0.0, both_bad_weak=0.0)
    votes = Counter(simulate_judgment(rng, crisp, 0.3, 0.2, left_side="a")[0] for _ in range(2000))
    assert votes["tie"] == 0 and votes["both_bad"] < 0.05 * 2000
