"""Make `config/thesaurus.txt` from the cnsyn wheel: `python -m indexer.thesaurus_import cnsyn-1.2.0-py3-none-any.whl`.

cnsyn 1.2.0 (PyPI, Apache-2.0, github.com/shangfr/Chinese-Synonyms) ships one plain-text file of
synonym groups, ``cnsyn/chinese_dictionary/sim_words.txt``: first ~28,000 clusters drawn from Wikipedia
redirects (noisy: 粉丝 with 粉条, a lake with a nickname), then 17,817 groups in the order and shape of
HIT's 同义词词林扩展版 (the "cndict" part). Only that text file is read, straight from the wheel (a
zip), checked against its pinned hash; the wheel's pickled files (``*.m``) and its Whoosh index are
never opened. What is kept, and why:

- the Cilin-like part only (the Wikipedia clusters pair titles with ambiguous short names, 波波湖 with
  波波: too noisy to use; not measured);
- members of 2–6 Chinese characters (single characters such as 家, 手, 汉 match everything; Latin
  members there are transliteration junk);
- groups that still have 2–MAX_GROUP members (the largest groups are lists of kinds — 鸡毛信 … 情书 —
  not synonyms).
"""

from __future__ import annotations

import hashlib
import re
import sys
import zipfile
from pathlib import Path

from config.settings import CONFIG_DIR

SOURCE = "cnsyn/chinese_dictionary/sim_words.txt"
SOURCE_SHA256 = "736adcb763313f573a617225c3e5ebe97487c5a0298fdcaa96eba95a4aabdf2b"
CILIN_FIRST = "人 士 人物 人士 人氏 人选"  # the first group of the Cilin-like part (Aa01A01)
MAX_GROUP = 16
_MEMBER = re.compile(r"^[\u4e00-\u9fff]{2,6}$")

HEADER = """\
# 通用同义词表（自动生成，请勿手改；改词请写在 synonyms.txt 或 concepts.txt）。
# 来源：PyPI 包 cnsyn 1.2.0（Apache License 2.0，https://github.com/shangfr/Chinese-Synonyms）
#   里的 cnsyn/chinese_dictionary/sim_words.txt（sha256 {sha}）的词林部分
#   （与哈工大《同义词词林扩展版》的分组一致）；按 Apache-2.0 再分发，改动：只保留 2–6 个汉字的词、
#   2–{max_group} 个成员的组，去掉了维基百科聚类部分。
# 生成：python -m indexer.thesaurus_import cnsyn-1.2.0-py3-none-any.whl
# 用法：搜索时查询词的同组词以低权重一起搜（indexer/meaning.py），只改变查询，不需要重建索引。
# 停用：删除本文件（下一次搜索生效）；权重见 indexer/meaning.py 的 THESAURUS_WEIGHT。
"""


def read_source(wheel: Path) -> str:
    """The synonym file's text from the wheel, after checking its pinned hash."""
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(SOURCE)
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit(f"{SOURCE} 的 sha256 是 {digest}，不是固定的 {SOURCE_SHA256}：拒绝使用")
    return data.decode("utf-8")


def groups(text: str) -> list[list[str]]:
    """The filtered Cilin-like groups of the file, in file order."""
    lines = text.splitlines()
    start = lines.index(CILIN_FIRST)
    out = []
    for line in lines[start:]:
        members = list(dict.fromkeys(m for m in line.split() if _MEMBER.match(m)))
        if 2 <= len(members) <= MAX_GROUP:
            out.append(members)
    return out


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("用法：python -m indexer.thesaurus_import cnsyn-1.2.0-py3-none-any.whl")
    kept = groups(read_source(Path(argv[0])))
    target = CONFIG_DIR / "thesaurus.txt"
    body = "\n".join(" ".join(g) for g in kept)
    target.write_text(HEADER.format(sha=SOURCE_SHA256, max_group=MAX_GROUP) + body + "\n", encoding="utf-8")
    print(f"写入 {target}：{len(kept)} 组")


if __name__ == "__main__":
    main(sys.argv[1:])
