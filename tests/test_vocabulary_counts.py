"""The typo map after an update is the one a fresh count of the whole index gives, although an update
counts only the segment it wrote and looks up only new words' readings (indexer.vocabulary keeps each
segment's counts and the generation's readings beside the index)."""

from __future__ import annotations

import json

from whoosh import index as whoosh_index

from indexer import generations
from indexer.build import _pinyin_map, rebuild, update
from indexer.gather import collect
from tests.conftest import make_settings, write_post


def _maps(folder) -> dict:
    """A generation's typo maps as plain dicts."""
    from indexer.spelling import MAPS_FILE, parse_maps

    return parse_maps((folder / MAPS_FILE).read_text(encoding="utf-8"))


def _live(settings):
    live = generations.current_path(settings.index_dir)
    return live, whoosh_index.open_dir(str(live))


def _from_scratch(settings, tmp_path) -> dict:
    """The typo map counted again from every segment, with no kept counts to read."""
    _, ix = _live(settings)
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    for old in scratch.iterdir():
        old.unlink()
    from indexer import vocabulary

    counts = vocabulary.of_index(ix, scratch)
    return json.loads(json.dumps(_pinyin_map(ix, collect(settings).documents, counts)))


def _kept(settings) -> set[str]:
    live, ix = _live(settings)
    with ix.reader() as reader:
        segments = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
    return {p.name.removeprefix("vocab-").removesuffix(".pickle") for p in live.glob("vocab-*.pickle")}, segments


def _built(tmp_path, posts: int):
    """A rebuilt index of ``posts`` short posts about 会员 and 私域; its settings and content folder."""
    content = tmp_path / "content"
    for i in range(posts):
        write_post(content, f"2021-1-{i + 1}-p{i}.md", f"会员运营第{i}篇", f"私域社群与会员体系的第{i}个故事。")
    settings = make_settings(tmp_path, CONTENT_DIR=content, SITE_URL="https://blog.example.cn")
    rebuild(settings)
    return settings, content


def test_updates_give_the_typo_map_a_full_count_gives(tmp_path):
    settings, content = _built(tmp_path, 12)
    kept, segments = _kept(settings)
    assert kept == segments  # the build's writers left their counts

    for round_, word in enumerate(("裂变海报", "直播带货", "品牌联名")):
        write_post(content, f"2022-2-{round_ + 1}-new{round_}.md", f"{word}复盘", f"一次{word}活动，{word}的三个数字。")
        (content / "_posts" / f"2021-1-{round_ + 1}-p{round_}.md").unlink()
        report = update(settings)
        assert report.added == 1 and report.removed == 1
        live, _ = _live(settings)
        written = _maps(live)
        assert written == _from_scratch(settings, tmp_path), word
        assert word[:2] in {best for best, _ in written["all"].values()}  # the new word can be corrected to
        kept, segments = _kept(settings)
        assert kept == segments  # merged segments' counts are gone, the new one's is there


def test_damaged_counts_and_readings_are_made_again(tmp_path):
    settings, content = _built(tmp_path, 6)
    live, _ = _live(settings)
    for path in [*live.glob("vocab-*.pickle"), live / "readings.pickle"]:
        assert path.exists()
        path.write_bytes(b"not a pickle")
    write_post(content, "2022-2-1-new.md", "裂变海报复盘", "一次裂变海报活动。")
    update(settings)
    live, _ = _live(settings)
    assert _maps(live) == _from_scratch(settings, tmp_path)


def _capture_switch(monkeypatch) -> list[dict]:
    """The typo map each build had written when it switched searches to its generation."""
    from indexer import build

    seen: list[dict] = []
    real = build.generations.switch

    def switch(index_dir, gen):
        seen.append(_maps(gen))
        return real(index_dir, gen)

    monkeypatch.setattr(build.generations, "switch", switch)
    return seen


def test_an_update_switches_with_a_map_that_only_lacks_entries(tmp_path, monkeypatch):
    """An update switches searches over before the exact typo map is ready; the map it switches with
    holds no entry the exact one would not (only fewer), so a hint is missing for a moment, never wrong."""
    settings, content = _built(tmp_path, 12)
    seen = _capture_switch(monkeypatch)
    for round_, word in enumerate(("裂变海报", "直播带货", "品牌联名")):
        write_post(content, f"2022-2-{round_ + 1}-new{round_}.md", f"{word}复盘", f"一次{word}活动，{word}的三个数字。")
        write_post(
            content, f"2021-1-{round_ + 1}-p{round_}.md", "会员运营", "会员体系。", extra="visibility: internal\n"
        )
        update(settings)
        quick = seen[-1]
        live, _ = _live(settings)
        exact = _maps(live)
        assert exact == _from_scratch(settings, tmp_path)
        for part in ("all", "client"):
            assert quick[part].items() <= exact[part].items(), (word, part)
        assert len(quick["all"]) < len(exact["all"])  # this update's words are not offered yet


def test_a_word_that_becomes_internal_only_is_never_offered_to_clients(tmp_path, monkeypatch):
    from indexer.spelling import correct

    settings, content = _built(tmp_path, 4)
    for i in range(2):
        write_post(content, f"2021-5-{i + 1}-fission{i}.md", f"裂变活动复盘{i}", "一次裂变活动的三个数字。")
    rebuild(settings)
    live, _ = _live(settings)
    maps = _maps(live)
    assert correct("列变", maps, "client")[0] == "裂变"  # a public word: clients get the hint
    seen = _capture_switch(monkeypatch)
    for i in range(2):
        write_post(
            content,
            f"2021-5-{i + 1}-fission{i}.md",
            f"裂变活动复盘{i}",
            "一次裂变活动的三个数字。",
            extra="visibility: internal\n",
        )
    update(settings)
    live, _ = _live(settings)
    exact = _maps(live)
    for maps in (seen[-1], exact):
        assert (correct("列变", maps, "client") or ("",))[0] != "裂变", (
            maps is exact,
            maps["all"].get("liebian"),
            maps["client"].get("liebian"),
        )
    assert correct("列变", exact, "employee")[0] == "裂变"  # staff still get it
