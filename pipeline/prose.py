"""Telling a sentence from log plumbing, for text found around a kernel message.

Forum titles, tickets and mails name or quote kernel messages inside sentences (`In
/var/log/messages TCP: too many orphaned sockets`, `日志中出现大量 nf_conntrack: ...`,
`... dropping packet 的问题`). Such a line is a mention, not a log line, and gives no event. Log
plumbing (hosts, stamps, tags, counts, quote marks) holds no sentence words, so a few cheap
signs are enough: letters outside ASCII, a common English word, or plain lowercase words.

Only lines that are not a whole catalog message at the start come here, never the common path.
"""

from __future__ import annotations

import re

# Words no host name, tag or stamp is made of (single letters left out: `A`, `X` appear in
# masks and counts).
_ENGLISH_WORDS = (
    "an the my we our you your it this that these those is are was were be been have has had "
    "get gets got getting see seeing saw keep keeps in on at of from for with and or but when "
    "why how what which where message messages error errors log logs warning says said shows "
    "showed appear appears appearing like lot lots many does do mean means problem "
)
_ENGLISH = frozenset(_ENGLISH_WORDS.split())
_PUNCTUATION = ",.;:!?\"'()«»“”"
_PROSE_WORD_RE = re.compile(r"[a-z]{2,}[,.;:!?]?")
_PLAIN_WORD_RE = re.compile(r"[A-Za-z]+")
_PROSE_WORDS = 2  # plain lowercase words that make a prefix a sentence


def _sentence_signs(text: str) -> bool:
    if any(c.isalpha() and not c.isascii() for c in text):
        return True
    return any(w.strip(_PUNCTUATION).lower() in _ENGLISH for w in text.split())


def before_message(text: str) -> bool:
    """Whether the text in front of a message is a sentence: a plain word right before the
    message, two plain lowercase words, an English word or non-ASCII letters."""
    text = text.strip()
    if not text:
        return False
    if _sentence_signs(text):
        return True
    words = text.split()
    if _PLAIN_WORD_RE.fullmatch(words[-1]):
        return True
    return sum(1 for w in words if _PROSE_WORD_RE.fullmatch(w)) >= _PROSE_WORDS


def after_message(text: str) -> bool:
    """Whether the text after a whole message is a sentence (`, what does it mean?`): words set
    off by a space or punctuation; bytes glued to the message (escaped garbage) are not."""
    if not text or not (text[0] in " \t" or text[0] in _PUNCTUATION):  # not a new line
        return False
    return _sentence_signs(text)
