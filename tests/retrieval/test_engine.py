"""The engine: loads once, swaps in new builds, and keeps serving the last good index when a new one is damaged."""

import shutil
from pathlib import Path

from retrieval.articles import load_articles
from retrieval.encoders import load_encoder
from retrieval.engine import Engine
from retrieval.settings import Settings
from retrieval.store import build_index, current_build
from tests.conftest import SEEDS


def test_damaged_new_build_is_refused_and_the_last_good_one_keeps_serving(tmp_path: Path, seed_index_dir: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_dir, index_dir)  # with its embedding cache: rebuilding embeds nothing
    engine = Engine(Settings(index_dir=index_dir))
    assert engine.load(strict=True) and engine.reload_if_changed() is False
    good = engine.searcher.index.path

    articles = load_articles([SEEDS]).articles
    build_index(articles, load_encoder("e5-small-q4"), index_dir, progress=False)
    damaged = current_build(index_dir) / "vectors.faiss"
    damaged.write_bytes(damaged.read_bytes()[:100])
    assert engine.reload_if_changed() is False
    assert engine.ready and engine.searcher.index.path == good  # still answering from the last good build
    assert engine.error and "vectors.faiss" in engine.error
    assert engine.answer("自治区高院院长是谁？").citations
    assert engine.reload_if_changed() is False  # the same broken build is not retried on every tick

    build_index(articles, load_encoder("e5-small-q4"), index_dir, progress=False)
    assert engine.reload_if_changed() is True and engine.error is None
    assert engine.searcher.index.path == current_build(index_dir) != good
