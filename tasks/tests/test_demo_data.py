"""The demo content that `make run` loads: format, counts, determinism, leaks, images, rater simulation."""

from __future__ import annotations

import io
import json
import random
import re
import statistics
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tasks import demo_data
from tasks.demo_data import (
    DEMO_RATER_PROFILES,
    IMAGE_SIZE,
    IMAGE_SYSTEMS,
    LEAK_EXAMPLES,
    METADATA_SYSTEMS,
    TEXT_SYSTEMS,
    image_study_rows,
    output_quality,
    simulate_choice,
    simulate_judgment,
    simulate_seconds,
    text_gold_rows,
    text_study_rows,
    write_demo_files,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
EXPECTED_TAGS = {"explain", "code", "math", "writing", "advice", "factual", "summarise", "zh"}


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> dict[str, Path]:
    return write_demo_files(tmp_path_factory.mktemp("demo"))


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{path.name} line {number} is blank"
        row = json.loads(line)
        assert isinstance(row, dict), f"{path.name} line {number} is not an object"
        rows.append(row)
    return rows


def by_key(rows: list[dict]) -> dict[tuple[str, str], dict]:
    keyed = {(row["prompt_id"], row["system"]): row for row in rows}
    assert len(keyed) == len(rows), "duplicate (prompt_id, system) rows"
    return keyed


# --------------------------------------------------------------------------- text study


def test_text_file_is_the_rows_in_import_format(demo_files):
    rows = read_jsonl(demo_files["text"])
    assert rows == text_study_rows()
    for number, row in enumerate(rows, start=1):
        assert {"prompt_id", "prompt", "system", "output", "tags"} <= row.keys(), f"line {number}"
        assert set(row) <= {"prompt_id", "prompt", "system", "output", "tags", "messages", "meta"}, f"line {number}"
        assert isinstance(row["output"], str) and row["output"].strip(), f"line {number}: empty output"
        assert isinstance(row["tags"], list) and all(isinstance(t, str) for t in row["tags"]), f"line {number}"
        assert "image" not in row


def test_text_counts_one_row_per_prompt_and_system():
    rows = text_study_rows()
    keyed = by_key(rows)
    prompts = {row["prompt_id"] for row in rows}
    systems = {row["system"] for row in rows}
    assert systems == set(TEXT_SYSTEMS) and len(systems) >= 4
    assert len(prompts) >= 48
    assert set(keyed) == {(p, s) for p in prompts for s in systems}
    # The same prompt text, tags and history on every system's row of a prompt.
    for prompt_id in prompts:
        variants = {json.dumps([keyed[prompt_id, s].get(k) for k in ("prompt", "tags", "messages")]) for s in systems}
        assert len(variants) == 1, prompt_id


def test_text_tags_cover_every_category_with_several_prompts():
    per_tag = Counter(tag for row in text_study_rows() if row["system"] == TEXT_SYSTEMS[0] for tag in row["tags"])
    assert set(per_tag) == EXPECTED_TAGS
    assert min(per_tag.values()) >= 5, per_tag


def test_chinese_prompts_have_chinese_prompts_and_answers():
    zh = [row for row in text_study_rows() if "zh" in row["tags"]]
    assert len({row["prompt_id"] for row in zh}) >= 5
    for row in zh:
        assert CJK.search(row["prompt"]), row["prompt_id"]
        if row["system"] in ("atlas-70b", "borealis-8b"):
            assert CJK.search(row["output"]) or "```" in row["output"] or row["prompt_id"] == "zh-translate-luxun"
    others = [row for row in text_study_rows() if "zh" not in row["tags"]]
    assert not any(CJK.search(row["prompt"]) for row in others)


def test_chat_history_on_at_least_three_prompts():
    with_history = {row["prompt_id"]: row["messages"] for row in text_study_rows() if "messages" in row}
    assert len(with_history) >= 3
    for prompt_id, messages in with_history.items():
        assert messages, prompt_id
        for message in messages:
            assert set(message) == {"role", "content"}, prompt_id
            assert message["role"] in ("user", "assistant", "system"), prompt_id
            assert message["content"].strip(), prompt_id


def test_answers_get_shorter_down_the_intended_ranking():
    rows = text_study_rows()
    words = {s: statistics.median(len(r["output"].split()) for r in rows if r["system"] == s) for s in TEXT_SYSTEMS}
    assert words["atlas-70b"] > words["borealis-8b"] > words["cirrus-mini"] > words["dune-2"], words
    # The good systems write real answers (40–250 words on explanatory prompts; Chinese has no spaces).
    for row in rows:
        if row["system"] == "atlas-70b" and row["tags"][0] in ("explain", "advice", "code"):
            assert 40 <= len(row["output"].split()) <= 250, row["prompt_id"]


def test_outputs_are_written_not_templated():
    outputs = [row["output"] for row in text_study_rows()]
    assert len(set(outputs)) == len(outputs), "two identical outputs"
    first_lines = Counter(next(line for line in out.splitlines() if not line.startswith("```"))[:30] for out in outputs)
    assert first_lines.most_common(1)[0][1] <= 3, first_lines.most_common(3)


def test_markdown_structure_in_the_best_system():
    best = [row["output"] for row in text_study_rows() if row["system"] == "atlas-70b"]
    assert sum("```" in out for out in best) >= 5
    assert sum(bool(re.search(r"^(\d+\.|-) ", out, re.M)) for out in best) >= 15


def test_quality_ranking_holds_on_most_but_not_all_prompts():
    prompts = {row["prompt_id"] for row in text_study_rows()}
    ordered = [
        p
        for p in prompts
        if output_quality(p, "atlas-70b")
        > output_quality(p, "borealis-8b")
        > output_quality(p, "cirrus-mini")
        > output_quality(p, "dune-2")
    ]
    assert 0.8 * len(prompts) <= len(ordered) < len(prompts)
    upsets = [p for p in prompts if output_quality(p, "borealis-8b") > output_quality(p, "atlas-70b")]
    assert len(upsets) >= 3
    # The meta on each row carries the same number the simulation uses.
    for row in text_study_rows():
        assert row["meta"]["demo_quality"] == output_quality(row["prompt_id"], row["system"])


def test_leak_examples_are_present_and_the_only_identity_mentions():
    keyed = by_key(text_study_rows())
    assert len(LEAK_EXAMPLES) >= 2
    assert any("OpenAI" in phrase for _, _, phrase in LEAK_EXAMPLES)
    assert any("深度求索" in phrase for _, _, phrase in LEAK_EXAMPLES)
    leaking = {(prompt_id, system) for prompt_id, system, _ in LEAK_EXAMPLES}
    for prompt_id, system, phrase in LEAK_EXAMPLES:
        assert phrase in keyed[prompt_id, system]["output"]
    identity = re.compile(
        r"developed by|openai|深度求索|\bI'?m\b[^.]{0,30}language model|\bas an ai\b|"
        + "|".join(re.escape(s.split("-")[0]) for s in TEXT_SYSTEMS),
        re.I,
    )
    found = {key for key, row in keyed.items() if identity.search(row["output"])}
    assert found == leaking


def test_gold_rows_point_at_real_outputs_and_the_right_side():
    keyed = by_key(text_study_rows())
    gold = text_gold_rows()
    assert 5 <= len(gold) <= 8
    answers = Counter(row["answer"]["overall"] for row in gold)
    assert answers["a"] >= 2 and answers["b"] >= 2, "gold answers all on one side teach raters a position"
    for row in gold:
        assert set(row) == {"prompt_id", "system_a", "system_b", "answer", "explanation"}
        assert (row["prompt_id"], row["system_a"]) in keyed and (row["prompt_id"], row["system_b"]) in keyed
        assert row["system_a"] != row["system_b"]
        assert row["explanation"].strip()
        winner, loser = (
            (row["system_a"], row["system_b"])
            if row["answer"]["overall"] == "a"
            else (row["system_b"], row["system_a"])
        )
        assert output_quality(row["prompt_id"], winner) - output_quality(row["prompt_id"], loser) >= 0.4


def test_gold_file_matches_rows(demo_files):
    assert read_jsonl(demo_files["text_gold"]) == text_gold_rows()


# --------------------------------------------------------------------------- image study


def test_image_rows_reference_valid_pngs_in_the_zip(demo_files):
    rows = read_jsonl(demo_files["images"])
    keyed = by_key(rows)
    prompts = {row["prompt_id"] for row in rows}
    assert len(prompts) >= 12 and {row["system"] for row in rows} == set(IMAGE_SYSTEMS)
    assert set(keyed) == {(p, s) for p in prompts for s in IMAGE_SYSTEMS}
    with zipfile.ZipFile(demo_files["images_zip"]) as archive:
        names = set(archive.namelist())
        assert names == {row["image"] for row in rows}
        for row in rows:
            assert {"prompt_id", "prompt", "system", "image"} <= row.keys() and "output" not in row
            assert re.fullmatch(r"imgs/[a-z0-9_.-]+\.png", row["image"]), row["image"]
            data = archive.read(row["image"])
            Image.open(io.BytesIO(data)).verify()
            with Image.open(io.BytesIO(data)) as image:
                assert image.format == "PNG"
                assert image.size == (IMAGE_SIZE, IMAGE_SIZE)
                assert image.mode == "RGB"


def test_image_study_rows_writes_the_same_pngs(tmp_path, demo_files):
    rows = image_study_rows(tmp_path)
    assert rows == read_jsonl(demo_files["images"])
    with zipfile.ZipFile(demo_files["images_zip"]) as archive:
        for row in rows:
            assert (tmp_path / row["image"]).read_bytes() == archive.read(row["image"])


def test_generator_metadata_on_some_pngs_only(demo_files):
    with zipfile.ZipFile(demo_files["images_zip"]) as archive:
        for row in read_jsonl(demo_files["images"]):
            with Image.open(io.BytesIO(archive.read(row["image"]))) as image:
                exif = image.getexif()
                if row["system"] in METADATA_SYSTEMS:
                    assert "Steps: 30, Sampler: Euler a" in image.text["parameters"]
                    assert f"Model: {row['system']}" in image.text["parameters"]
                    assert exif.get(0x0131) == row["system"]
                    assert row["meta"]["generator_metadata"] is True
                else:
                    assert not image.text and not exif
                    assert row["meta"]["generator_metadata"] is False
    assert 0 < len(METADATA_SYSTEMS) < len(IMAGE_SYSTEMS)


def _pixels(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    with Image.open(io.BytesIO(archive.read(name))) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float32)


def test_images_differ_visibly_in_quality(demo_files):
    rows = by_key(read_jsonl(demo_files["images"]))
    with zipfile.ZipFile(demo_files["images_zip"]) as archive:
        for prompt_id in {p for p, _ in rows}:
            best = _pixels(archive, rows[prompt_id, "kestrel-xl"]["image"])
            worst = _pixels(archive, rows[prompt_id, "quartz-0"]["image"])
            # Noise: mean absolute difference between horizontal neighbours.
            grain_best = np.abs(np.diff(best, axis=1)).mean()
            grain_worst = np.abs(np.diff(worst, axis=1)).mean()
            assert grain_worst > 3 * grain_best, prompt_id
        # Colour adherence: the blue circles are blue for the good systems and not for orchid-v1.
        for system, expect_blue in (("kestrel-xl", True), ("lumen-3", True), ("orchid-v1", False)):
            pixels = _pixels(archive, rows["img-three-blue-circles", system]["image"])
            blue = (pixels[..., 2] > 150) & (pixels[..., 0] < 100) & (pixels[..., 1] < 140)
            assert bool(blue.mean() > 0.05) is expect_blue, system


def test_image_upset_best_system_miscounts_circles(demo_files):
    rows = by_key(read_jsonl(demo_files["images"]))
    with zipfile.ZipFile(demo_files["images_zip"]) as archive:
        counts = {}
        for system in ("kestrel-xl", "lumen-3"):
            pixels = _pixels(archive, rows["img-three-blue-circles", system]["image"])
            middle_row = (pixels[IMAGE_SIZE // 2 + 5, :, 2] > 150) & (pixels[IMAGE_SIZE // 2 + 5, :, 0] < 100)
            counts[system] = int(np.count_nonzero(np.diff(middle_row.astype(int)) == 1) + middle_row[0])
    assert counts == {"kestrel-xl": 2, "lumen-3": 3}
    assert output_quality("img-three-blue-circles", "lumen-3") > output_quality("img-three-blue-circles", "kestrel-xl")


# --------------------------------------------------------------------------- files


def test_write_demo_files_is_deterministic_and_idempotent(tmp_path, demo_files):
    again = write_demo_files(tmp_path / "one")
    assert set(again) == {"text", "text_gold", "images", "images_zip"}
    for key, path in again.items():
        assert path.read_bytes() == demo_files[key].read_bytes(), key
    stamps = {key: path.stat().st_mtime_ns for key, path in again.items()}
    assert write_demo_files(tmp_path / "one") == again
    assert {key: path.stat().st_mtime_ns for key, path in again.items()} == stamps  # unchanged files not rewritten
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [
        "images.jsonl",
        "images.zip",
        "text.jsonl",
        "text_gold.jsonl",
    ]


def test_write_demo_files_repairs_a_damaged_file(tmp_path, demo_files):
    paths = write_demo_files(tmp_path)
    paths["text"].write_text("broken\n", encoding="utf-8")
    write_demo_files(tmp_path)
    assert paths["text"].read_bytes() == demo_files["text"].read_bytes()


# --------------------------------------------------------------------------- rater simulation


def test_always_left_always_picks_the_left_side():
    rng = random.Random(1)
    for left in ("a", "b"):
        picks = {simulate_choice(rng, 0.9, 0.1, "always_left", left_side=left) for _ in range(300)}
        assert picks == {left}


def test_honest_prefers_higher_quality_and_noise_blurs_it():
    def share_a(noise: float) -> float:
        rng = random.Random(7)
        votes = Counter(simulate_choice(rng, 0.8, 0.45, "honest", noise=noise) for _ in range(4000))
        return votes["a"] / (votes["a"] + votes["b"])

    sharp, blurred = share_a(0.5), share_a(2.2)
    assert sharp > 0.9
    assert 0.55 < blurred < sharp
    rng = random.Random(8)
    flipped = Counter(simulate_choice(rng, 0.45, 0.8, "honest") for _ in range(4000))
    assert flipped["b"] > 3 * flipped["a"]


def test_honest_ties_and_both_bad_rates():
    rng = random.Random(3)
    qualities = list(demo_data.SYSTEM_QUALITY.values())
    pairs = [(a, b) for a in qualities for b in qualities if a != b]
    votes = Counter(simulate_choice(rng, a, b, "honest") for _ in range(500) for a, b in pairs)
    total = sum(votes.values())
    assert 0.15 < votes["tie"] / total < 0.35
    weak = Counter(simulate_choice(rng, 0.2, 0.3, "honest") for _ in range(2000))
    strong = Counter(simulate_choice(rng, 0.8, 0.9, "honest") for _ in range(2000))
    assert weak["both_bad"] > 0.2 * 2000
    assert strong["both_bad"] < 0.05 * 2000


def test_random_is_about_uniform_between_sides_and_ignores_quality():
    rng = random.Random(5)
    votes = Counter(simulate_choice(rng, 0.95, 0.05, "random") for _ in range(6000))
    assert abs(votes["a"] - votes["b"]) < 0.05 * 6000
    assert 0.05 < votes["tie"] / 6000 < 0.15
    assert votes["both_bad"] == 0


def test_speeder_is_fast_and_ignores_quality():
    rng = random.Random(9)
    votes = Counter(simulate_choice(rng, 0.95, 0.05, "speeder") for _ in range(4000))
    assert set(votes) == {"a", "b"} and abs(votes["a"] - votes["b"]) < 0.06 * 4000
    seconds = [simulate_seconds(rng, "speeder") for _ in range(500)]
    assert min(seconds) >= 1.0 and max(seconds) <= 2.0
    honest = [simulate_seconds(rng, "honest") for _ in range(500)]
    assert min(honest) >= 4.0 and statistics.median(honest) > 10


def test_bad_behaviour_or_side_is_a_clear_error():
    rng = random.Random(0)
    with pytest.raises(ValueError, match="unknown behaviour 'lazy'"):
        simulate_choice(rng, 0.5, 0.5, "lazy")
    with pytest.raises(ValueError, match="left_side"):
        simulate_choice(rng, 0.5, 0.5, "always_left", left_side="left")
    with pytest.raises(ValueError, match="unknown behaviour"):
        simulate_seconds(rng, "lazy")


def test_rater_profiles_and_a_simulated_leaderboard_order():
    behaviours = Counter(profile.behaviour for profile in DEMO_RATER_PROFILES)
    assert behaviours == {"honest": 12, "random": 1, "always_left": 1, "speeder": 1}
    assert len({p.name for p in DEMO_RATER_PROFILES}) == len(DEMO_RATER_PROFILES)
    assert len({p.noise for p in DEMO_RATER_PROFILES if p.behaviour == "honest"}) >= 8
    # Everyone judges every pair of every prompt once: win rates follow the intended order.
    rng = random.Random(11)
    wins: Counter[str] = Counter()
    games: Counter[str] = Counter()
    prompts = sorted({row["prompt_id"] for row in text_study_rows()})
    for profile in DEMO_RATER_PROFILES:
        for prompt_id in prompts:
            for i, sa in enumerate(TEXT_SYSTEMS):
                for sb in TEXT_SYSTEMS[i + 1 :]:
                    choice, seconds = simulate_judgment(
                        rng,
                        profile,
                        output_quality(prompt_id, sa),
                        output_quality(prompt_id, sb),
                        left_side=rng.choice("ab"),
                    )
                    assert seconds > 0
                    games[sa] += 1
                    games[sb] += 1
                    wins[sa] += {"a": 1, "tie": 0.5}.get(choice, 0)
                    wins[sb] += {"b": 1, "tie": 0.5}.get(choice, 0)
    rate = {s: wins[s] / games[s] for s in TEXT_SYSTEMS}
    assert rate["atlas-70b"] > rate["borealis-8b"] > rate["cirrus-mini"] > rate["dune-2"], rate


def test_output_quality_unknown_prompt():
    with pytest.raises(KeyError, match="no demo prompt"):
        output_quality("nope", "atlas-70b")


def test_command_line_writes_the_files(tmp_path, capsys):
    assert demo_data.main([str(tmp_path)]) == 0
    assert "images_zip" in capsys.readouterr().out
    assert (tmp_path / "images.zip").is_file()
    assert demo_data.main([]) == 2
