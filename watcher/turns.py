"""Claim order for the batches of one cycle: the same feeds give the same stories, whichever answers first.

Which story an item joins, which item opens it (and so raises the alert), and which alerts fit in the
day's budget all depend on the order batches are stored in. Feeds are fetched and parsed at once, but
each claimed source stores its batch only after every source claimed before it has stored or failed.
Sources are claimed most overdue first, then in name order, and each claim continues that sequence
(store/sources.py): a cycle claims as many sources as it has free slots, one or several depending on
when fetches end, and either way two runs over the same feeds store them in the same order. Only a
source skipped because its host has no free slot (`per_host`) comes after the sources of other hosts
claimed meanwhile, whose number depends on timing.

A source answering slowly holds back the storing, not the fetching, of those claimed after it, for as
long as its own fetching takes: its feed, and its articles when it has `full_text` (each request has
its deadline). Alerts of the sources after it go out that much later.
"""

from __future__ import annotations

import asyncio


class Turns:
    """Tickets handed out in claim order; a ticket's holder waits until every earlier ticket is done."""

    def __init__(self) -> None:
        self._issued = 0
        self._done: set[int] = set()
        self._first_pending = 0  # every ticket below it is done
        self._changed = asyncio.Condition()

    def ticket(self) -> int:
        ticket, self._issued = self._issued, self._issued + 1
        return ticket

    async def wait(self, ticket: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._first_pending >= ticket)

    async def done(self, ticket: int) -> None:
        async with self._changed:
            self._done.add(ticket)
            while self._first_pending in self._done:
                self._done.discard(self._first_pending)
                self._first_pending += 1
            self._changed.notify_all()
