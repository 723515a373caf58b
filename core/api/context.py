"""What every resolver gets as ``info.context``: the policy base, the per-app result cache and,
when the server has a database, the runtime, the user behind the request's token and the
request's DataLoaders (:class:`Loaders`).

A list that shows, for each item, something stored elsewhere (the household of each case, the
events of each case, the cases of each household, the case of each payment, the tokens of each
user account) asks the loaders, which gather every item's key and read them all with one batch
read of the store (:func:`core.households.store.read_households`,
:func:`core.cases.store.read_cases`, :func:`core.cases.store.cases_of_households`,
:func:`core.cases.store.events_of_cases`, :func:`core.access.accounts.tokens_of_users`): the
number of SQL statements does not grow with the length of the list. The loaders (and what they
cache) belong to one request: they are made with its context and never shared.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import ExecutionResult
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.dataloader import DataLoader

from core.access import accounts
from core.access.roles import User, bearer_token
from core.access.tokens import authenticate
from core.api.cache import LRUCache
from core.cases import Case
from core.cases import store as cases_store
from core.households import store as households_store
from core.policy.service import PolicyBase, today
from core.runtime import DatabaseUnavailable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.runtime import Runtime

logger = logging.getLogger("doudi.api")

RESULT_CACHE_SIZE = 1024
RESULT_CACHE_BYTES = 64 * 1024 * 1024
NO_DATABASE = (
    "this server has no database: households, decisions and local settings are not available "
    "(start it with `doudi serve`)"
)

ResultKey = tuple[str, str | None, str, str, str]
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class ResultCache(LRUCache[ResultKey, ExecutionResult]):
    """Error-free query results, bounded by entries and approximate bytes.

    A result depends only on the query, its variables, the merged policy (``PolicyBase.version``)
    and, through the default ``asOf``, today's date in China: all of them are in the key. Only
    public results are kept (see :attr:`Context.private`).
    """

    def __init__(
        self, maxsize: int = RESULT_CACHE_SIZE, max_bytes: int = RESULT_CACHE_BYTES
    ) -> None:
        super().__init__(maxsize, max_bytes)

    @staticmethod
    def key(
        query: str,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        version: str,
    ) -> ResultKey:
        variables_json = (
            json.dumps(variables, sort_keys=True, separators=(",", ":"), default=str)
            if variables
            else ""
        )
        return (query, operation_name, variables_json, version, today().isoformat())

    def sizeof(self, key: ResultKey, value: ExecutionResult) -> int:
        """The key's texts plus twice the result's length as JSON (the objects in memory take
        about 1.75 times their JSON length; measured on a five-way compare)."""
        data = json.dumps(value.data, ensure_ascii=False, separators=(",", ":"), default=str)
        return len(key[0]) + len(key[2]) + 2 * len(data)


@dataclass
class Context:
    """The context of one GraphQL request.

    ``runtime`` is None when the app serves the policy only (``create_app(base)``): anything
    that needs the database is then ``DATABASE_UNAVAILABLE`` (``db_unavailable`` says why).
    ``authorization`` is the request's ``Authorization`` header; the user behind it is looked
    up once, on first use (:meth:`user`).
    """

    base: PolicyBase
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    result_cache: ResultCache | None = field(default=None, repr=False)
    runtime: Runtime | None = field(default=None, repr=False)
    authorization: str | None = field(default=None, repr=False)
    db_unavailable: str | None = None
    # Set when the result is an error-free query result (cached or cacheable by the response
    # cache in front of strawberry).
    cacheable: bool = False
    # Set when the answer must never be cached: the request carries credentials, or a resolver
    # read stored data (households, decisions, local settings, audit) or computed something
    # from the request's own data (previewEligibility). See mark_private.
    private: bool = False
    _user: asyncio.Future[User] | None = field(default=None, repr=False)
    loaders: Loaders = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.authorization is not None:
            self.private = True
        self.loaders = Loaders(self)

    def mark_private(self) -> None:
        """Keep this request's answer out of every cache."""
        self.private = True
        self.cacheable = False

    def require_runtime(self) -> Runtime:
        if self.runtime is None:
            raise DatabaseUnavailable(self.db_unavailable or NO_DATABASE)
        return self.runtime

    async def user(self) -> User:
        """The user holding the request's bearer token (authenticated once per request).

        Raises ``UNAUTHENTICATED`` without a (valid) token, ``DATABASE_UNAVAILABLE`` when the
        server has no database.
        """
        if self._user is None:
            self._user = asyncio.ensure_future(self._authenticate())
        return await asyncio.shield(self._user)

    async def _authenticate(self) -> User:
        self.require_runtime()
        token = bearer_token(self.authorization)
        return await self.in_session(lambda s: authenticate(s, token))

    async def as_user(self, work: Callable[[Session, User], T]) -> T:
        """``work(session, user)`` for the request's user, in one worker thread and one session.

        When the user is not known yet, the token is checked in that session first (by the
        same statement as :meth:`user`, so a revoked or expired token is refused at once):
        one thread hop and one session for a request that needs both, instead of two each.
        Raises what :meth:`user` raises before ``work`` runs at all."""
        if self._user is not None:
            user = await asyncio.shield(self._user)
            return await self.in_session(lambda s: work(s, user))
        runtime = self.require_runtime()
        token = bearer_token(self.authorization)
        found: asyncio.Future[User] = asyncio.get_running_loop().create_future()
        self._user = found  # a resolver asking meanwhile waits for this one's answer
        checked: list[User] = []

        def run() -> T:
            with runtime.sessions() as session:
                user = authenticate(session, token)
                checked.append(user)
                return work(session, user)

        try:
            return await self.in_thread(run)
        except BaseException as exc:
            if not checked:  # the token's check failed (UNAUTHENTICATED, the database ...)
                _settle(found, exc)
            raise
        finally:
            if checked and not found.done():
                found.set_result(checked[0])

    async def in_session(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` with a fresh session, in a worker thread (the library's functions
        are synchronous and each runs its own transaction)."""
        runtime = self.require_runtime()

        def run() -> T:
            with runtime.sessions() as session:
                return work(session)

        return await self.in_thread(run)

    async def in_thread(self, work: Callable[[], T]) -> T:
        """``work()`` in a worker thread; a lost database connection is DATABASE_UNAVAILABLE."""
        try:
            return await run_in_threadpool(work)
        except (OperationalError, InterfaceError) as exc:
            logger.error("database error: %s", exc)
            raise DatabaseUnavailable(
                "the database is not reachable at the moment; try again later"
            ) from None


def _settle(found: asyncio.Future[User], error: BaseException) -> None:
    """``found`` fails with ``error`` (marked as retrieved: whoever awaits it gets it, and
    nobody is warned when nobody does)."""
    if found.done():
        return
    if isinstance(error, asyncio.CancelledError):
        found.cancel()
        return
    found.set_exception(error)
    found.exception()


class Loaders:
    """The DataLoaders of one request (strawberry's :class:`~strawberry.dataloader.DataLoader`),
    each a batch read of a store in one worker thread and one session, for the request's user.

    ``households`` and ``cases`` load by id (an item the user may not read is refused at its
    own path, FORBIDDEN or NOT_FOUND, while the batch reads the others); ``cases_of_household``
    loads a household's cases (those the user may read), ``events`` a case's audit trail,
    oldest first, and ``tokens`` a user's newest tokens (for administrators, within their
    jurisdiction). After a write, call
    :meth:`clear` so that the rest of the request reads what is stored now.
    """

    def __init__(self, context: Context) -> None:
        self._context = context
        self.households: DataLoader[int, households_store.HouseholdRecord] = DataLoader(
            self._households
        )
        self.cases: DataLoader[int, Case] = DataLoader(self._cases)
        self.cases_of_household: DataLoader[int, list[Case]] = DataLoader(self._cases_of_households)
        self.events: DataLoader[int, list[cases_store.EventRecord]] = DataLoader(self._events)
        self.tokens: DataLoader[int, list[accounts.TokenInfo]] = DataLoader(self._tokens)

    def clear(self) -> None:
        for loader in (
            self.households,
            self.cases,
            self.cases_of_household,
            self.events,
            self.tokens,
        ):
            loader.clear_all()

    async def _batch(
        self, keys: list[K], read: Callable[[Session, User, list[K]], Mapping[K, V]]
    ) -> list[V]:
        context = self._context
        user = await context.user()
        found = await context.in_session(lambda s: read(s, user, keys))
        return [found[k] for k in keys]

    async def _households(
        self, ids: list[int]
    ) -> list[households_store.HouseholdRecord | BaseException]:
        registry = self._context.base.registry
        return await self._batch(
            ids, lambda s, user, keys: households_store.read_households(s, user, keys, registry)
        )

    async def _cases(self, ids: list[int]) -> list[Case | BaseException]:
        registry = self._context.base.registry
        return await self._batch(
            ids, lambda s, user, keys: cases_store.read_cases(s, user, keys, registry)
        )

    async def _cases_of_households(self, ids: list[int]) -> list[list[Case]]:
        registry = self._context.base.registry
        return await self._batch(
            ids, lambda s, user, keys: cases_store.cases_of_households(s, user, keys, registry)
        )

    async def _events(self, ids: list[int]) -> list[list[cases_store.EventRecord]]:
        return await self._batch(ids, lambda s, user, keys: cases_store.events_of_cases(s, keys))

    async def _tokens(self, ids: list[int]) -> list[list[accounts.TokenInfo] | BaseException]:
        registry = self._context.base.registry
        return await self._batch(
            ids, lambda s, user, keys: accounts.tokens_of_users(s, user, keys, registry)
        )
