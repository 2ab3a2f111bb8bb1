"""CaseLink's exception tree, shared by every layer.

    CaseLinkError
    ├── ConfigError        settings are missing or invalid; the program stops at start
    ├── IndexNotReady      no usable index generation (missing, corrupt); names the command to fix it
    ├── IndexLocked        another build holds the index lock; says who
    └── SharedUnavailable  (indexer.shared) Redis, holding forwarded documents and overrides, is down

WeChat protocol errors reuse wechatpy's ``InvalidSignatureException``.
"""

from __future__ import annotations


class CaseLinkError(Exception):
    """Base class for errors CaseLink raises on purpose."""


class ConfigError(CaseLinkError):
    """A setting is missing or invalid."""


class IndexNotReady(CaseLinkError):
    """The index cannot be opened; the message names the command that builds it."""


class IndexLocked(CaseLinkError):
    """Another process is building the index."""

    def __init__(self, holder: str):
        super().__init__(f"索引正在被另一个构建任务占用（{holder}），请稍后再试")
        self.holder = holder
