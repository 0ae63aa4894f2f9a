"""The execution agent: enrollment, lease renewals, manifest, dispatched tool runs and the durable outbox."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import anyio

from xem.agent._config import AgentConfig, ToolConfig
from xem.agent._discovery import discover
from xem.agent._executor import run_tool, watch_children_by_pidfd
from xem.agent._link import Link
from xem.agent._params import build_argv, input_schema
from xem.agent._queue import Queue
from xem.domain.keys import fingerprint
from xem.domain.manifest import Manifest, ToolSpec, WorkspaceSpec, manifest_hash
from xem.domain.protocol import Ack, Dispatch, Enroll, LeaseRenewal, ManifestFrame, Progress, Result, decode, encode
from xem.domain.scope import Scope, scope_violation
from xem.errors import EnrollmentRefused, FrameRejected, ParameterRefused
from xem.keyfiles import load_or_create_keypair
from xem.settings import XemSettings

__all__ = ["Agent"]

log = logging.getLogger("xiopro.xem.agent")


class Agent:
    def __init__(self, config: AgentConfig, settings: XemSettings) -> None:
        self.config = config
        self.settings = settings
        config.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.public_key, secret = load_or_create_keypair(config.state_dir / "keys", "agent")
        self.queue = Queue(config.state_dir / "queue.sqlite")
        self.candidates = discover(config.discovery)
        self.approved: set[str] = set(self.queue.get("approved_candidates") or [])
        self.enrolled = self.queue.get("enrolled") == config.name
        self.interval_s = settings.lease_interval_s
        self.state = "unknown"
        self.manifest = self._build_manifest()
        self.link = Link(config.router, config.router_public_key.encode(), self.public_key, secret,
                         backoff_min_s=settings.reconnect_min_ms / 1000, backoff_max_s=settings.reconnect_max_ms / 1000,
                         max_bytes=settings.max_frame_bytes)
        self._enroll_frame: Enroll | None = None
        self._cancel: dict[uuid.UUID, anyio.Event] = {}
        self._seq: dict[uuid.UUID, int] = {}
        self._tg: anyio.abc.TaskGroup | None = None

    # manifest
    def _workspaces(self) -> dict[str, WorkspaceSpec]:
        spaces = {w.name: WorkspaceSpec(name=w.name, kind="configured", root=str(w.root.expanduser().absolute()))
                  for w in self.config.workspaces}
        for c in self.candidates:
            if c.id in self.approved and c.id not in spaces:
                root = c.value if c.kind == "git" else str(self.config.state_dir / "work")
                spaces[c.id] = WorkspaceSpec(name=c.id, kind=c.kind, root=root)
        return spaces

    def _build_manifest(self) -> Manifest:
        spaces = self._workspaces()
        tools = tuple(ToolSpec(name=t.name, workspace=t.workspace, description=t.description, risk=t.risk,
                               timeout_s=t.timeout_s, input_schema=input_schema(t.params))
                      for t in self.config.tools if t.workspace in spaces)
        draft = Manifest(manifest_version=1, workspaces=tuple(spaces[n] for n in sorted(spaces)), tools=tools)
        digest, stored = manifest_hash(draft), self.queue.get("manifest") or {}
        version = stored.get("version", 0) + (digest != stored.get("hash"))
        self.queue.set("manifest", {"hash": digest, "version": version})
        return draft.model_copy(update={"manifest_version": version})

    def _tool(self, workspace: str, name: str) -> tuple[ToolConfig, Path] | None:
        space = self._workspaces().get(workspace)
        tool = next((t for t in self.config.tools if t.workspace == workspace and t.name == name), None)
        return None if space is None or tool is None else (tool, Path(space.root))

    # running
    async def run(self) -> None:
        """Run until cancelled. Raises EnrollmentRefused if the router refuses the join key."""
        log.info("xem-agent %s (key %s) connecting to %s", self.config.name, fingerprint(self.public_key), self.config.router)
        watch_children_by_pidfd()
        async with anyio.create_task_group() as tg:
            self._tg = tg
            self._recover()
            tg.start_soon(self.link.run, self._on_frame, self._on_connect)
            tg.start_soon(self._every, self.interval_s, self._renew)
            tg.start_soon(self._every, self.settings.frame_resend_ms / 2000, self._resend)

    def _recover(self) -> None:
        """After a restart: a run that was under way has an unknown outcome; one never started is run now."""
        for inv, payload, state in self.queue.inbox("received", "running"):
            frame = decode(payload)
            if state == "running":
                log.warning("invocation %s was running when the agent stopped; reporting it interrupted", inv)
                self._finish(frame, Result(sender=self.config.name, invocation_id=frame.invocation_id, status="interrupted",
                                           error="the agent stopped while the tool ran; its outcome is unknown",
                                           mutating=frame.risk != "read", trace_context=frame.trace_context.child()))
            else:
                assert self._tg is not None
                self._tg.start_soon(self._execute, frame)

    async def _every(self, period_s: float, action: Any) -> None:
        while True:
            await anyio.sleep(period_s)
            await action()

    async def _send(self, frame: Any) -> None:
        await self.link.send(encode(frame))

    async def _on_connect(self) -> None:
        if not self.enrolled:
            await self._enroll()
        else:
            await self._send(LeaseRenewal(sender=self.config.name, manifest_hash=manifest_hash(self.manifest),
                                          manifest_version=self.manifest.manifest_version,
                                          in_flight=tuple(uuid.UUID(i) for i in self.queue.in_flight())))
            await self._resend(everything=True)

    async def _enroll(self) -> None:
        join_key = self.config.join_key_text()
        if join_key is None:
            raise EnrollmentRefused("no_join_key", "this agent is not enrolled and its config has no join_key or join_key_file; "
                                    "mint one with `xeroctl agents join-keys --create --role xem --ttl 3600`")
        if self._enroll_frame is None:
            self._enroll_frame = Enroll(sender=self.config.name, join_key=join_key, public_key=self.public_key.decode(),
                                        manifest=self.manifest, candidates=tuple(self.candidates))
        await self._send(self._enroll_frame)

    async def _renew(self) -> None:
        if not self.enrolled:
            await self._enroll()
            return
        await self._send(LeaseRenewal(sender=self.config.name, manifest_hash=manifest_hash(self.manifest),
                                      manifest_version=self.manifest.manifest_version,
                                      in_flight=tuple(uuid.UUID(i) for i in self.queue.in_flight())))

    async def _resend(self, everything: bool = False) -> None:
        if not self.enrolled:
            return
        for frame_id, payload in self.queue.due(0 if everything else self.settings.frame_resend_ms / 1000):
            await self.link.send(payload)
            self.queue.mark_sent(frame_id)

    async def _queue_and_send(self, frame: Any, *, durable: bool = False) -> None:
        self.queue.put(frame.id, frame.kind, encode(frame), invocation_id=getattr(frame, "invocation_id", None), durable=durable)
        await self._send(frame)
        self.queue.mark_sent(str(frame.id))

    # frames from the router
    async def _on_frame(self, data: bytes) -> None:
        try:
            frame = decode(data, max_bytes=self.settings.max_frame_bytes)
        except FrameRejected as exc:
            log.warning("ignored a frame from the router: %s", exc)
            return
        handler = getattr(self, f"_on_{frame.kind}", None)
        if handler is None:
            log.warning("ignored an unexpected %s frame from the router", frame.kind)
            return
        await handler(frame)

    async def _on_enroll_ok(self, frame: Any) -> None:
        self.enrolled = True
        self.queue.set("enrolled", self.config.name)
        log.info("enrolled as %s (state %s)", frame.agent, frame.state)
        await self._apply(frame.state, frame.approved_candidates)
        await self._resend(everything=True)

    async def _on_lease_ok(self, frame: Any) -> None:
        await self._apply(frame.state, frame.approved_candidates)

    async def _apply(self, state: str, approved: tuple[str, ...]) -> None:
        if state != self.state:
            (log.error if state == "conflict_pill" else log.info)(
                "router reports this agent %s%s", state,
                ": another key claims the same name; dispatch is stopped until an operator runs `xeroctl agents recover`"
                if state == "conflict_pill" else "")
            self.state = state
        if set(approved) != self.approved:
            self.approved = set(approved)
            self.queue.set("approved_candidates", sorted(self.approved))
            self.manifest = self._build_manifest()
            log.info("bindings changed (approved: %s); publishing manifest version %d",
                     ", ".join(sorted(self.approved)) or "none", self.manifest.manifest_version)
            await self._on_manifest_request(None)

    async def _on_manifest_request(self, _frame: Any) -> None:
        await self._queue_and_send(ManifestFrame(sender=self.config.name, manifest=self.manifest,
                                                 manifest_hash=manifest_hash(self.manifest)))

    async def _on_ack(self, frame: Ack) -> None:
        invocation = self.queue.ack(frame.ref)
        if invocation is not None:
            self._seq.pop(uuid.UUID(invocation), None)

    async def _on_error(self, frame: Any) -> None:
        if self._enroll_frame is not None and frame.ref == self._enroll_frame.id and not self.enrolled:
            raise EnrollmentRefused(frame.reason or "refused", frame.message)
        if frame.code == "not_found" and frame.ref is not None:
            self.queue.ack(frame.ref)  # the router will never want this frame: stop resending it
        log.warning("router error [%s] %s", frame.code, frame.message)

    async def _on_cancel(self, frame: Any) -> None:
        event = self._cancel.get(frame.invocation_id)
        if event is not None:
            log.info("cancelling invocation %s: killing the tool's process group", frame.invocation_id)
            event.set()
            return
        cancelled = set(self.queue.get("cancelled") or [])
        if str(frame.invocation_id) not in cancelled:  # not running: a dispatch of it is refused unrun
            self.queue.set("cancelled", sorted(cancelled | {str(frame.invocation_id)})[-1000:])

    async def _on_dispatch(self, frame: Dispatch) -> None:
        new = self.queue.receive(frame.invocation_id, frame.id, encode(frame))
        await self._send(Ack(sender=self.config.name, ref=frame.id, trace_context=frame.trace_context.child()))
        if new:
            assert self._tg is not None
            self._tg.start_soon(self._execute, frame)

    async def _execute(self, frame: Dispatch) -> None:
        found = self._tool(frame.workspace, frame.tool)
        result: dict[str, Any] = {"status": "refused"}
        if str(frame.invocation_id) in (self.queue.get("cancelled") or []):
            result = {"status": "cancelled", "error": "cancelled before the tool started; it did not run"}
        elif found is None:
            result["error"] = f"this agent has no tool {frame.tool} bound in workspace {frame.workspace}"
        else:
            tool, root = found
            try:
                _check_scope(frame, frozenset(n for n, p in tool.params.items() if p.type == "path"))
                argv = build_argv(tool.name, tool.argv, tool.params, frame.params, root)
            except ParameterRefused as exc:
                result["error"] = str(exc)
            else:
                self.queue.set_state(frame.invocation_id, "running")
                self._cancel[frame.invocation_id] = cancel = anyio.Event()
                outcome = await run_tool(argv, root, timeout_s=tool.timeout_s, max_output_bytes=self.config.max_output_bytes,
                                         on_progress=lambda s, d: self._progress(frame, s, d), cancelled=cancel,
                                         progress_interval_s=self.config.progress_interval_ms / 1000)
                self._cancel.pop(frame.invocation_id, None)
                result = {k: getattr(outcome, k) for k in ("status", "exit_code", "stdout", "stderr", "truncated", "duration_ms", "error")}
                if cancel.is_set() and outcome.error == "cancelled":
                    result["status"] = "killed"
        if result["status"] == "refused":
            log.warning("refused invocation %s of %s/%s: %s", frame.invocation_id, frame.workspace, frame.tool, result["error"])
        self._finish(frame, *self._fitting(Result(sender=self.config.name, invocation_id=frame.invocation_id,
                                                  mutating=frame.risk != "read", trace_context=frame.trace_context.child(),
                                                  **result)))
        await self._resend()

    def _fitting(self, result: Result) -> tuple[Result, bytes]:
        """The result cut down until its frame fits under max_frame_bytes (JSON escaping can grow output), and its frame."""
        limit = self.settings.max_frame_bytes - 4096
        while len(payload := encode(result)) > limit and (result.stdout or result.stderr):
            result = result.model_copy(update={"stdout": result.stdout[: len(result.stdout) // 2],
                                               "stderr": result.stderr[: len(result.stderr) // 2], "truncated": True})
        return result, payload

    def _finish(self, frame: Dispatch, result: Result, payload: bytes | None = None) -> None:
        self.queue.finish(frame.invocation_id, result.id, payload or encode(result), durable=result.mutating)

    async def _progress(self, frame: Dispatch, stream: str, data: str) -> None:
        seq = self._seq.get(frame.invocation_id, 0)
        self._seq[frame.invocation_id] = seq + 1
        await self._queue_and_send(Progress(sender=self.config.name, invocation_id=frame.invocation_id, seq=seq,
                                            stream=stream, data=data, trace_context=frame.trace_context.child()))

    def close(self) -> None:
        self.link.close()
        self.queue.close()


def _check_scope(frame: Dispatch, paths: frozenset[str]) -> None:
    """The workspace scope the frame carries, checked again here (a frame that bypassed the bridge is refused).

    Raises:
        ParameterRefused: an argument outside the scope, or a scope that does not validate.
    """
    if not frame.scope:
        return
    try:
        scope = Scope.model_validate(frame.scope)
    except ValueError:
        raise ParameterRefused(f"[forbidden] the dispatch of {frame.tool} carries a scope that does not validate; "
                               "nothing was run") from None
    violation = scope_violation(scope, frame.workspace, frame.tool, frame.params, paths)
    if violation is not None:
        raise ParameterRefused(f"[forbidden] {violation} (refused by the agent; nothing was run)")
