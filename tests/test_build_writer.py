"""The fast segment writer writes what Whoosh's own writer writes, and the parallel build finds what a
serial one finds (indexer.writer): postings, lengths, stored fields, search results, the vocabulary."""

from __future__ import annotations

from collections import Counter

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from indexer import build, writer
from indexer.build import _fields, _vocabulary
from indexer.gather import collect
from indexer.schema import build_schema
from indexer.segment import configure
from indexer.sources import collect as collect_sources
from indexer.writer import FastSegmentWriter, write_parallel, write_serial
from tests.conftest import make_settings, write_post


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("writer"))
    configure(settings.config_dir)
    docs = collect(settings).documents
    assert len(docs) > 20
    return docs


def _new_index(path):
    path.mkdir(parents=True)
    return whoosh_index.create_in(str(path), build_schema())


def _index(path, docs, writer_class, **kw):
    ix = _new_index(path)
    writer = writer_class(ix, **kw)
    for doc in docs:
        writer.add_document(**_fields(doc))
    writer.commit()
    return ix


def _postings(ix) -> dict:
    out = {}
    with ix.reader() as reader:
        for fieldname, term in reader.all_terms():
            info = reader.term_info(fieldname, term)
            m = reader.postings(fieldname, term)
            items = []
            while m.is_active():
                items.append((m.id(), round(m.weight(), 5), bytes(m.value() or b"")))
                m.next()
            # the statistics Whoosh's block-quality skipping and BM25 bounds read, as well as the postings
            stats = (info.min_length(), info.max_length(), round(info.max_weight(), 5), info.min_id(), info.max_id())
            out[(fieldname, term)] = (info.doc_frequency(), round(info.weight(), 4), stats, items)
    assert out
    return out


def _per_doc(ix) -> list:
    with ix.reader() as reader:
        names = [n for n in ix.schema.names() if ix.schema[n].scorable]
        return [
            (reader.stored_fields(d), [reader.doc_field_length(d, n) for n in names])
            for d in range(reader.doc_count_all())
        ]


@pytest.fixture(scope="module")
def whoosh_wrote(tmp_path_factory, documents):
    """What Whoosh's own writer makes of the documents: postings with their statistics, and per document."""
    theirs = _index(tmp_path_factory.mktemp("theirs") / "ix", documents, SegmentWriter)
    return _postings(theirs), _per_doc(theirs)


# 0.05: spill sorted runs to disk every few documents; runs read back 3 terms to a pickle, or 4096
@pytest.mark.parametrize(("limitmb", "chunk"), [(128, 4096), (0.05, 4096), (0.05, 3)])
def test_the_fast_writer_writes_what_whoosh_writes(tmp_path, monkeypatch, documents, whoosh_wrote, limitmb, chunk):
    monkeypatch.setattr(writer, "RUN_CHUNK", chunk)
    ours = _index(tmp_path / "ours", documents, FastSegmentWriter, limitmb=limitmb)
    postings, per_doc = whoosh_wrote
    assert _postings(ours) == postings
    assert _per_doc(ours) == per_doc
    assert not list(tmp_path.glob("ours/*.postings"))  # spilled runs are removed
    with ours.reader() as reader:  # the comparison saw postings in the term table and in blocks
        kinds = Counter(
            (reader.term_info(f, t).is_inlined(), min(reader.doc_frequency(f, t), 2)) for f, t in reader.all_terms()
        )
    assert kinds[(True, 1)] and kinds[(True, 2)] and kinds[(False, 2)] and kinds[(False, 1)]  # (id: no values)


def _found(ix, words) -> dict:
    from whoosh import query as wq

    with ix.searcher() as searcher:
        out = {}
        for word in words:
            q = wq.Or([wq.Term(f, word) for f in ("title", "tags_text", "body", "bigrams")])
            out[word] = [(hit["id"], round(hit.score, 5)) for hit in searcher.search(q, limit=None)]
        return out


def test_segments_written_in_parallel_find_what_one_segment_finds(tmp_path, documents):
    serial_ix, parallel_ix = _new_index(tmp_path / "serial"), _new_index(tmp_path / "parallel")
    done = []
    serial_vocabulary = write_serial(serial_ix, documents, _fields)
    parallel_vocabulary = write_parallel(parallel_ix, documents, _fields, 3, lambda n, total: done.append(n))
    assert len(parallel_ix._segments()) == 3 and parallel_ix.doc_count() == len(documents)
    assert done[-1] == len(documents)
    assert parallel_vocabulary == serial_vocabulary  # counted by the writers, summed over the segments
    assert dict(build._words(parallel_vocabulary)) == dict(_vocabulary(parallel_ix))
    words = ["私域", "品牌", "小程序", "会员", "直播", "营销", "流量"]
    assert _found(parallel_ix, words) == _found(serial_ix, words)
    assert all(_found(serial_ix, words)[w] for w in ("私域", "品牌"))


def test_files_read_by_several_processes_come_back_in_order(tmp_path):
    content = tmp_path / "content"
    for i in range(1100):
        write_post(content, f"2021-1-1-p{i:04d}.md", f"第{i}篇", f"正文{i}")
    serial = collect_sources(content)
    parallel = collect_sources(content, workers=2)
    assert [d.to_dict() for d in parallel.documents] == [d.to_dict() for d in serial.documents]
    assert len(parallel.documents) == 1100


def test_a_parallel_build_makes_the_typo_map_a_serial_one_makes(tmp_path, documents):
    # The parallel build counts the internal documents' words in the parent while the writers run and
    # looks each reading up once; the map must be the one made after the writers from the same vocabulary
    # (its order decides between words of equal frequency, so the vocabulary is the writers' in both).
    ix = _new_index(tmp_path / "parallel")
    vocabulary, ready = write_parallel(ix, documents, _fields, 2, meanwhile=lambda: build._while_writing(documents))
    assert any(d.visibility == "internal" for d in documents) and ready.internal
    assert ready.hashes == {d.id: d.content_hash() for d in documents}
    built = build._pinyin_map(ix, documents, vocabulary, build._internal_counts(ready.internal))
    assert built == build._pinyin_map(ix, documents, vocabulary)
    assert built["all"] and built["client"]


def test_a_failure_while_writing_is_raised_after_the_writers(tmp_path, documents):
    def broken():
        raise ValueError("meanwhile failed")

    with pytest.raises(ValueError, match="meanwhile failed"):
        write_parallel(_new_index(tmp_path / "ix"), documents, _fields, 2, meanwhile=broken)


@pytest.mark.parametrize(
    "postings",
    [
        [(7, 1.0, b"\x01")],  # one document, the usual bigram
        [(0, 2.0, b"\x02")],
        [(70000, 1.0, b"\x01")],
        [(3, 0.1, b"\x01\x05")],  # a weight a 32-bit float cannot hold exactly
        [(2, 1.0, b"\x01"), (5, 3.5, b"\x03"), (9, 1.0, b"\x01")],
        [(d, 1.0 + d / 3, bytes([d + 1])) for d in range(7)],  # the most postings inlined
    ],
)
@pytest.mark.parametrize("lengths", [None, [0] * 70001, [3, 1, 4, 1, 5, 9, 2, 6, 5, 300000] * 7001])
def test_an_inlined_term_gets_the_statistics_and_postings_whoosh_makes(postings, lengths):
    from whoosh.codec.whoosh3 import W3PostingsWriter, W3TermInfo

    from indexer.termtable import inlined_info, single_info

    # Whoosh's postings writer fills the term info from its block (its start_postings would only note
    # where the term starts in the postings file; its own inline branch calls a method it lacks)
    reference, info = W3PostingsWriter(None, 128), W3TermInfo()
    reference._new_block()
    reference._terminfo = info
    for doc, weight, value in postings:
        reference.add_posting(doc, weight, value, lengths[doc] if lengths else None)
    info.add_block(reference)
    info.set_inlined(reference._ids, reference._weights, reference._values)
    docs, weights, values = (list(column) for column in zip(*postings, strict=True))
    rows = [inlined_info(docs, weights, values, lengths)]
    if len(postings) == 1:
        rows.append(single_info(docs[0], weights[0], values[0], lengths))
    expected, size = info.to_bytes(), W3TermInfo._struct.size
    for row in rows:
        assert row[:size] == expected[:size]  # the statistics, byte for byte
        # the postings, pickled with another protocol: read back the same
        assert W3TermInfo.from_bytes(row).inlined_postings() == W3TermInfo.from_bytes(expected).inlined_postings()
        assert all(type(v) is bytes for v in W3TermInfo.from_bytes(row).inlined_postings()[2])


def test_whoosh_merges_the_segments_it_did_not_write(tmp_path, documents, whoosh_wrote):
    # An update's merge and an optimize read our postings (inlined or in blocks) with Whoosh's matchers
    # and write them again with Whoosh's own writer: the postings must survive the trip.
    ix = _new_index(tmp_path / "merged")
    write_parallel(ix, documents, _fields, 3)
    ix.optimize()
    assert len(ix._segments()) == 1
    postings, per_doc = whoosh_wrote
    assert _postings(ix) == postings
    assert _per_doc(ix) == per_doc
