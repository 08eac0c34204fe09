"""The saved generations of the index: unique folders, one pointer, old and dead ones pruned."""

from __future__ import annotations

from pathlib import Path

from vitrine.search.generations import POINTER, GenerationStore


def test_each_save_is_a_new_generation_and_old_ones_are_pruned(tmp_path: Path) -> None:
    store = GenerationStore(tmp_path / "index")
    names = []
    for _ in range(5):
        with store.writing():
            name, folder = store.new_folder()
            (folder / "payload").write_text(name)
            store.publish(name)
        names.append(name)
    assert len(set(names)) == 5
    assert store.current() == names[-1]
    kept = sorted(p.name for p in store.index_dir.iterdir() if p.name.startswith("gen-"))
    assert kept == names[-3:]  # the current one and two previous ones for slow readers
    with store.writing():
        _, dead = store.new_folder()  # a writer that died before publishing
    assert dead.is_dir()
    with store.writing():
        name, _ = store.new_folder()
        store.publish(name)
    assert not dead.exists()
    assert (store.index_dir / POINTER).read_text() == name
