"""Read a content file as text, accepting the encodings Chinese editors really produce."""

from __future__ import annotations

from pathlib import Path

from indexer.document import Problem


class Unreadable(Exception):
    """The file cannot be read as text; the message is the editor-facing reason."""


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding note); the note is "" for UTF-8 and names the fallback otherwise."""
    # Notepad's "Unicode" is UTF-16 with a BOM; it has NUL bytes, so test it before the binary check.
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise Unreadable("文件以 UTF-16 标记开头但内容无法解码，请另存为 UTF-8") from None
    if b"\x00" in data:
        raise Unreadable("文件含有二进制内容（NUL 字节），不是文本文件")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK/GB2312, the default of Chinese Windows editors and Excel.
        return data.decode("gb18030"), "GBK"
    except UnicodeDecodeError:
        raise Unreadable("无法识别文件编码（既不是 UTF-8 也不是 GBK），请用编辑器另存为 UTF-8") from None


def read_text(path: Path, rel: str) -> tuple[str, list[Problem]]:
    """Read ``path`` as text; raise Unreadable, or return the text and any encoding caveat."""
    try:
        data = path.read_bytes()
    except PermissionError:
        raise Unreadable("没有读取权限，请检查文件权限") from None
    except OSError as exc:
        raise Unreadable(f"文件无法打开（{exc.strerror or exc}）") from None
    text, note = decode(data)
    problems = []
    if note:
        problems.append(
            Problem(rel, f"文件不是 UTF-8 编码，已按 {note} 读取；请用编辑器另存为 UTF-8", "encoding", skipped=False)
        )
    return text.replace("\r\n", "\n").replace("\r", "\n"), problems
