"""The lineage run observer: floe events in, OpenLineage events out, off the run's threads.

``__call__`` only enqueues. One daemon worker thread per observer wakes up every 50 ms at
most while events arrive, reads the run's manifest, translates and hands events to the
OpenLineage client. A transport that fails is logged once
per run and the rest of that run's events are dropped (so a dead receiver costs one timeout,
not one per event); :meth:`LineageObserver.close` waits at most ``flush_timeout`` seconds.
With ``delivery: process`` the worker thread writes the events to a child process that does
the rest with the same code (:mod:`floe_core.lineage._delivery`, ADR 0026).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import attr
import structlog
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import RunEvent
from openlineage.client.serde import Serde

from floe_core._errors import ConfigError
from floe_core._events import (
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunPlanned,
    RunStarted,
)
from floe_core._invocation import DBTInvocation
from floe_core.lineage._client import PooledHttpTransport, lineage_client
from floe_core.lineage._config import LineageConfig
from floe_core.lineage._dbt_ol import DbtOlLineageTranslator
from floe_core.lineage._delivery import DeliveryProcess
from floe_core.lineage._facets import RunRef, TraceIds
from floe_core.lineage._translator import LineageTranslator

__all__ = [
    "ExtraRunFacets",
    "LineageObserver",
    "SpanIdLookup",
    "build_translator",
    "create_lineage_observer",
]

_log = structlog.get_logger("floe.lineage")
_MAX_QUEUED = 50_000
"""Events waiting for delivery before new ones are dropped (a few MB of memory)."""
_BATCH_SECONDS = 0.05
"""How long the worker lets events gather after the first: lineage stays live to ~50 ms."""

_FLOE_RUN_FACETS = frozenset(
    {
        "parent",
        "processing_engine",
        "errorMessage",
        "externalQuery",
        "opentelemetry",
        "floe_invocation",
    }
)
"""Run facet keys floe owns: an extension plugin's facet of one of these names is ignored."""

SpanIdLookup = Callable[[str, str | None], tuple[str, str] | None]
"""``(invocation_id, unique_id or None) -> (trace_id, span_id)`` in hex, or ``None``."""

ExtraRunFacets = Callable[[FloeEvent], Mapping[str, Any]]
"""Run facets to add to the lineage events of a floe event (extension plugins)."""


class LineageObserver:
    """A :class:`~floe_core.RunObserver` that emits OpenLineage events as nodes run."""

    def __init__(
        self,
        client: OpenLineageClient,
        translator: LineageTranslator,
        *,
        flush_timeout: float = 5.0,
        span_ids: SpanIdLookup | None = None,
        extra_run_facets: ExtraRunFacets | None = None,
        delivery: DeliveryProcess | None = None,
    ) -> None:
        """``delivery``: a child process translates and emits (``delivery: process``); the
        worker thread then only sends it the events."""
        self.client = client
        self._delivery = delivery
        self.translator = translator
        self.flush_timeout = flush_timeout
        self._span_ids = span_ids
        self._extra_run_facets = extra_run_facets
        self._queue: queue.Queue[FloeEvent | None] = queue.Queue(_MAX_QUEUED)  # None: stop
        self._overflowed = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._abandoned = False
        self._failed_runs: set[str] = set()
        self._delivery_lost = False
        self.emitted = 0
        """Events handed to the transport successfully (for tests and benchmarks)."""
        self.dropped = 0
        """Events lost: floe events refused by a full queue, lineage events of a failed run."""

    # -- RunObserver -----------------------------------------------------------------------
    def prepare(self, invocation: DBTInvocation) -> DBTInvocation:
        return invocation

    def __call__(self, event: FloeEvent) -> None:
        if self._thread is None:
            self._start_worker()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            # The receiver cannot keep up: lose lineage rather than memory or run time.
            self.dropped += 1
            if not self._overflowed:
                self._overflowed = True
                _log.warning(
                    "lineage delivery is falling behind; dropping events",
                    queued=_MAX_QUEUED,
                    transport=self.client.transport.kind,
                )

    def close(self) -> None:
        """Deliver what is queued, waiting at most ``flush_timeout`` seconds.

        Final: call it once, after the last invocation this observer follows.
        """
        thread = self._thread
        if thread is not None and thread.is_alive():
            deadline = time.monotonic() + self.flush_timeout
            # A full queue means a stuck worker: the join below then times out as well.
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=self.flush_timeout)
            thread.join(max(deadline - time.monotonic(), 0.0))
            if thread.is_alive():
                self._abandoned = True
                _log.warning(
                    "lineage events still undelivered after the flush timeout; giving up on them",
                    flush_timeout=self.flush_timeout,
                    transport=self.client.transport.kind,
                )
            remaining = max(deadline - time.monotonic(), 0.0)
        else:
            remaining = self.flush_timeout
        if self._delivery is not None:
            self._finish_delivery(self._delivery, remaining)
            remaining = 0.0
        self.client.close(timeout=remaining)

    def _finish_delivery(self, delivery: DeliveryProcess, timeout: float) -> None:
        if self._abandoned:
            delivery.kill()
            return
        counts = delivery.finish(timeout)
        if counts is None:
            _log.warning(
                "lineage events still undelivered after the flush timeout; giving up on them",
                flush_timeout=self.flush_timeout,
                transport=self.client.transport.kind,
            )
            return
        self.emitted += counts[0]
        self.dropped += counts[1]

    # -- worker ----------------------------------------------------------------------------
    def _start_worker(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="floe-lineage", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while not self._abandoned:
            batch = [self._queue.get()]
            # Wake up per batch, not per event: fewer GIL hand-offs with dbt's threads.
            time.sleep(_BATCH_SECONDS)
            with contextlib.suppress(queue.Empty):
                while len(batch) < _MAX_QUEUED:
                    batch.append(self._queue.get_nowait())
            end = batch.index(None) if None in batch else len(batch)
            events = [event for event in batch[:end] if event is not None]
            if self._delivery is not None:
                self._send(self._delivery, events)
            else:
                self._handle_batch(events)
            if end < len(batch):
                return

    def _handle_batch(self, events: list[FloeEvent]) -> None:
        """Translate and serialise the whole batch first, then POST it (ADR 0029): every
        socket wait hands the GIL to dbt's threads, and Python run between two waits costs
        several times what it costs in one stretch."""
        transport = self.client.transport
        if not isinstance(transport, PooledHttpTransport):
            for event in events:
                if self._abandoned:
                    return
                self.handle(event)
            return
        staged: list[tuple[str, Callable[[], object]]] = []
        for event in events:
            for run_event in self._run_events(event):
                try:
                    with transport.collecting() as posts:
                        self.client.emit(run_event)
                except Exception as exc:
                    staged.append((event.invocation_id, functools.partial(_reraise, exc)))
                else:
                    staged.append((event.invocation_id, functools.partial(transport.send, posts)))
        for invocation_id, send in staged:
            if self._abandoned:
                return
            self._deliver(invocation_id, send)

    def _send(self, delivery: DeliveryProcess, events: list[FloeEvent]) -> None:
        """Hand ``events`` to the delivery process with what only this process knows."""
        if self._delivery_lost:
            self.dropped += len(events)
            return
        lines = [self._message(event) for event in events]
        try:
            delivery.send(lines)
        except OSError as exc:
            self._delivery_lost = True
            self.dropped += len(events)
            _log.warning(
                "the lineage delivery process is gone; the run goes on without lineage",
                error=f"{type(exc).__name__}: {exc}",
            )

    def _message(self, event: FloeEvent) -> bytes:
        trace = self._trace_ids(event)
        extra: dict[str, Any] = {}
        if self._extra_run_facets is not None and not isinstance(event, RunPlanned):
            try:
                extra = {
                    key: Serde.to_dict(value) if attr.has(type(value)) else value
                    for key, value in self._extra_run_facets(event).items()
                    if key not in _FLOE_RUN_FACETS
                }
            except Exception:
                _log.exception("could not build extra lineage run facets", **_ids(event))
        namespace = (
            self.translator.dataset_namespace_of(event.target)
            if isinstance(event, RunStarted)
            else None
        )
        head = json.dumps(
            {"t": [trace.trace_id, trace.span_id] if trace else None, "x": extra, "ns": namespace}
        )
        return f'{head[:-1]}, "e": {event.model_dump_json()}}}\n'.encode()

    def handle(self, event: FloeEvent) -> None:
        """Translate and emit the lineage of one floe event (on the delivering thread)."""
        for run_event in self._run_events(event):
            self._deliver(event.invocation_id, functools.partial(self.client.emit, run_event))

    def _run_events(self, event: FloeEvent) -> list[RunEvent]:
        """The OpenLineage events of ``event`` with the plugins' run facets (none if they
        cannot be built: a metadata surprise must not stop lineage for the other nodes)."""
        if isinstance(event, RunStarted):
            self._failed_runs.discard(event.invocation_id)
        try:
            run_events = self.translator.translate(event, self._trace_ids(event))
            extra = self._extra_run_facets(event) if run_events and self._extra_run_facets else {}
            # Keys floe sets are floe's even on the runs where it leaves them out.
            extra = {k: v for k, v in extra.items() if k not in _FLOE_RUN_FACETS}
            for run_event in run_events:
                facets = run_event.run.facets or {}
                run_event.run.facets = {**extra, **facets}  # floe's own facets win
        except Exception:
            _log.exception("could not build lineage for an event", event=event.kind, **_ids(event))
            return []
        return run_events

    def _deliver(self, invocation_id: str, send: Callable[[], object]) -> None:
        """``send`` one OpenLineage event of ``invocation_id``, unless its run failed."""
        if invocation_id in self._failed_runs:
            self.dropped += 1
            return
        try:
            send()
            self.emitted += 1
        except Exception as exc:
            self._failed_runs.add(invocation_id)
            self.dropped += 1
            _log.warning(
                "lineage delivery failed; the run goes on without lineage",
                transport=self.client.transport.kind,
                error=f"{type(exc).__name__}: {exc}",
                invocation_id=invocation_id,
            )

    def _trace_ids(self, event: FloeEvent) -> TraceIds | None:
        if self._span_ids is None:
            return None
        unique_id = (
            event.unique_id
            if isinstance(event, NodeStarted)
            else event.result.unique_id
            if isinstance(event, NodeFinished | NodeSkipped)
            else None
        )
        ids = self._span_ids(event.invocation_id, unique_id)
        return TraceIds(trace_id=ids[0], span_id=ids[1]) if ids else None


def _reraise(exc: Exception) -> None:
    raise exc


def _ids(event: FloeEvent) -> dict[str, str]:
    ids = {"invocation_id": event.invocation_id}
    if isinstance(event, NodeStarted):
        ids["unique_id"] = event.unique_id
    elif isinstance(event, NodeFinished | NodeSkipped):
        ids["unique_id"] = event.result.unique_id
    return ids


def create_lineage_observer(
    config: LineageConfig,
    *,
    compute_namespace: str,
    namespace_for_target: Callable[[str | None], str] | None = None,
    span_ids: SpanIdLookup | None = None,
    extra_run_facets: ExtraRunFacets | None = None,
    client: OpenLineageClient | None = None,
) -> LineageObserver | None:
    """The lineage observer for ``config``, or ``None`` when lineage is off.

    ``compute_namespace`` is the dataset namespace of the warehouse (see
    ``floe_core.warehouses``), ``namespace_for_target`` the one of an invocation's dbt
    target when it depends on the target (a ``profile:`` with several); ``span_ids`` links
    each lineage run to its OpenTelemetry span (pass ``TracingObserver.span_ids``);
    ``extra_run_facets`` adds run facets (pass ``FloePluginManager.lineage_run_facets``);
    ``client`` replaces the configured client.
    As with dbt-ol, ``OPENLINEAGE_PARENT_ID`` (and ``OPENLINEAGE_ROOT_PARENT_ID``), set by an
    orchestrator as ``<namespace>/<job>/<run id>``, make the invocation a child of that run.
    """
    if not config.enabled or os.environ.get("OPENLINEAGE_DISABLED", "").lower() == "true":
        return None
    given_client = client is not None
    if client is None:
        # Built here even when a delivery process emits: a bad transport fails the run now.
        try:
            client = lineage_client(copy.deepcopy(config.transport))
        except Exception as exc:
            raise ConfigError(
                f"observability.lineage.transport: the OpenLineage client rejected it: {exc}",
                hint="see https://openlineage.io/docs/client/python#configuration for the "
                "transport types and their options",
            ) from exc
    translator = build_translator(
        config.naming,
        job_namespace=config.namespace,
        dataset_namespace=compute_namespace,
        namespace_for_target=namespace_for_target,
    )
    delivery = None
    if config.delivery == "process" and not given_client:
        settings = {
            "transport": config.transport,
            "naming": config.naming,
            "job_namespace": config.namespace,
            "dataset_namespace": compute_namespace,
            "flush_timeout": config.flush_timeout,
        }
        try:
            delivery = DeliveryProcess(settings)
        except OSError as exc:
            _log.warning(
                "could not start the lineage delivery process; delivering in this one",
                error=str(exc),
            )
    return LineageObserver(
        client,
        translator,
        flush_timeout=config.flush_timeout,
        span_ids=span_ids,
        extra_run_facets=extra_run_facets,
        delivery=delivery,
    )


def build_translator(
    naming: str,
    *,
    job_namespace: str,
    dataset_namespace: str,
    namespace_for_target: Callable[[str | None], str] | None = None,
) -> LineageTranslator:
    """The translator of a naming mode; ``OPENLINEAGE_PARENT_ID`` (and
    ``OPENLINEAGE_ROOT_PARENT_ID``) name the run that started floe."""
    parent, root = (
        RunRef.parse(value, source=name) if (value := os.environ.get(name)) else None
        for name in ("OPENLINEAGE_PARENT_ID", "OPENLINEAGE_ROOT_PARENT_ID")
    )
    translator_class = DbtOlLineageTranslator if naming == "dbt-ol" else LineageTranslator
    return translator_class(
        job_namespace=job_namespace,
        dataset_namespace=dataset_namespace,
        namespace_for_target=namespace_for_target,
        parent=parent,
        root=root,
    )
