"""Questions as the Discord bot receives them: mentions stripped, a thread's earlier
questions as the conversation, and how often each user may ask (the per-user rate limit).

Needs no discord.py: messages are read through their attributes only.
"""

import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any


class RateLimiter:
    """At most ``limit`` questions per user in any ``window`` seconds.

    Only users who asked within the last window are remembered, so memory stays bounded
    by recent users however many people ever ask."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        # Oldest latest-question first: a counted question moves its user to the end.
        self._seen: OrderedDict[int, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """Users remembered right now."""
        return len(self._seen)

    def retry_after(self, user_id: int) -> float:
        """0 when the user may ask now (and counts it); else seconds until they may."""
        now = self.clock()
        self._forget_before(now - self.window)
        seen = self._seen.setdefault(user_id, deque())
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return self.window - (now - seen[0])
        seen.append(now)
        self._seen.move_to_end(user_id)
        return 0.0

    def _forget_before(self, cutoff: float) -> None:
        # The front user's latest question is the oldest of all: once it is out of the
        # window, so is everything that user asked.
        while self._seen:
            user_id, seen = next(iter(self._seen.items()))
            if seen and seen[-1] > cutoff:
                return
            del self._seen[user_id]


def strip_mentions(text: str) -> str:
    return " ".join(re.sub(r"<@!?&?\d+>", " ", text).split())


def thread_history(messages: Sequence[Any], bot_id: int) -> list[str | dict[str, str]]:
    """Earlier user questions in a thread, oldest first, mentions removed; then, when this
    bot answered the last of them, that answer as an assistant message (its parts joined):
    what the next answer should not say again."""
    turns: list[str | dict[str, str]] = []
    answer: list[str] = []
    for m in messages:
        author = getattr(m, "author", None)
        content = getattr(m, "content", "") or ""
        if author is not None and getattr(author, "id", None) == bot_id:
            answer.append(content)
            continue
        if author is None or getattr(author, "bot", False):
            continue
        if content := strip_mentions(content):
            turns.append(content)
            answer = []
    if any(part.strip() for part in answer):
        turns.append({"role": "assistant", "content": "\n".join(answer)})
    return turns
