from __future__ import annotations

import pytest

from tasks.models import Output
from tasks.services.blinding import leak_scan, system_name_terms
from tasks.services.imports import import_outputs
from tasks.tests.design.conftest import jsonl

SYSTEMS = ["acme-helper-7b", "model-x", "zephyr_v2.1-chat"]


def kinds(text: str) -> set[tuple[str, str]]:
    return {(flag["kind"], flag["match"].lower()) for flag in leak_scan(text=text, system_names=SYSTEMS)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("As an AI developed by OpenAI, I cannot browse.", {("vendor", "openai")}),
        ("I am ChatGPT, a large language model.", {("vendor", "chatgpt")}),
        ("Try GPT-4 or gpt4 or GPT-3.5-turbo.", {("vendor", "gpt-4"), ("vendor", "gpt4")}),
        ("I'm Claude, made by Anthropic.", {("vendor", "claude"), ("vendor", "anthropic")}),
        ("Gemini from Google DeepMind says hi", {("vendor", "gemini"), ("vendor", "google deepmind")}),
        ("Built on Meta Llama 3 (Llama-3-70B).", {("vendor", "meta llama")}),
        ("Mistral and Mixtral", {("vendor", "mistral"), ("vendor", "mixtral")}),
        ("Qwen2 or DeepSeek-V3, Kimi, Doubao, Baichuan, Grok", {("vendor", "deepseek"), ("vendor", "kimi")}),
        ("ChatGLM-6B and GLM-4", {("vendor", "chatglm")}),
        ("ERNIE Bot by Baidu", {("vendor", "ernie bot")}),
        ("I was trained by a team at a big lab.", {("self_identification", "i was trained by")}),
        ("我是由阿里云开发的通义千问。", {("vendor", "通义千问"), ("self_identification", "我是由阿里云开发的")}),
        ("我是文心一言，由百度研发的人工智能助手", {("vendor", "文心一言")}),
        ("你好，我是豆包。", {("vendor", "豆包")}),
        ("作为一个AI语言模型，我无法回答。", {("self_identification", "作为一个ai语言模型")}),
        ("This answer was written by the Acme team.", {("system_name", "acme")}),
        ("Zephyr thinks so.", {("system_name", "zephyr")}),
        ("Signed: model-x", {("system_name", "model-x")}),
    ],
)
def test_leaks_are_found(text, expected):
    found = kinds(text)
    assert expected <= found, found


@pytest.mark.parametrize(
    "text",
    [
        "The bond will yield 4% and the llama ate grass.",
        "Photosynthesis converts light; a bard sings of Meta-analysis.",
        "Use the phi coefficient; the Model T was a car; chat with your team.",
        "Die Yield-Kurve. Gemütlich. Olympic glory. Copyright notices.",
        "Open the AI settings page and click Save.",
        "我今天吃了包子和豆浆。这个模型很好。",
        "He was trained by his father to fish.",
    ],
)
def test_no_false_positives_on_ordinary_text(text):
    assert leak_scan(text=text, system_names=SYSTEMS) == []


def test_system_name_parts_skip_short_and_generic():
    terms = system_name_terms(["acme-helper-7b", "model-x", "gpt_base-v2", "xy"])
    assert {"acme-helper-7b", "acme", "helper", "model-x", "gpt_base-v2", "gpt"} <= set(terms)
    assert not {"model", "base", "7b", "x", "v", "xy"} & set(terms)


@pytest.mark.django_db
def test_import_flags_leaky_outputs(draft_text_study):
    rows = [
        {"prompt_id": "p1", "prompt": "Who are you?", "system": "acme-helper-7b", "output": "I am Acme Helper."},
        {"prompt_id": "p1", "prompt": "Who are you?", "system": "other-bot", "output": "A helpful assistant."},
        {"prompt_id": "p2", "prompt": "你是谁？", "system": "acme-helper-7b", "output": "我是由某公司开发的助手。"},
        {"prompt_id": "p2", "prompt": "你是谁？", "system": "other-bot", "output": "你好！"},
    ]
    summary = import_outputs(study=draft_text_study, data=jsonl(rows)).summary
    assert summary["flagged"] == 2
    flagged = Output.objects.filter(study=draft_text_study, leak_review="flagged")
    assert {o.prompt.external_id for o in flagged} == {"p1", "p2"}
    assert all(o.system.name == "acme-helper-7b" and o.leak_flags for o in flagged)
    assert Output.objects.filter(study=draft_text_study, leak_review="clean").count() == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am Chat&#71;PT, made by Open&#65;I.", {"ChatGPT", "OpenAI"}),  # HTML entities render as letters
        ("Proudly **Chat**GPT", {"ChatGPT"}),  # Markdown emphasis splits the word in the source only
        ("Open*AI* built me", {"OpenAI"}),
        ("Cl\u200baude here", {"Claude"}),  # zero-width space
        ("\uff23\uff4c\uff41\uff55\uff44\uff45 here", {"Claude"}),  # full-width letters
    ],
)
def test_names_hidden_from_the_scan_but_visible_to_raters_are_found(text, expected):
    found = {flag["match"] for flag in leak_scan(text=text, system_names=[])}
    assert {m.lower() for m in expected} <= {m.lower() for m in found}
