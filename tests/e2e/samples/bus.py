"""Inspector sample calls for every bus-mcp tool (see tests/e2e/samples/__init__.py)."""

from tests.e2e.samples import Sample

SAMPLES: dict[str, Sample] = {
    "health": Sample(),
    "register_agent": Sample({"agent_id": "101", "role": "coder", "capabilities": ["python"]}),
    "heartbeat": Sample({"agent_id": "101", "status": "online", "in_flight": ["1001.01"]}),
    "list_agents": Sample({"role": "coder"}),
    "send_message": Sample({"from_agent": "101", "to": ["101"], "subject": "hello", "body": "hi", "ack_required": True}),
    "fetch_inbox": Sample({"agent_id": "101"}),
    "read_thread": Sample({"thread_id": "$ref:send_message.thread_id"}),
    "get_message": Sample({"message_id": "$ref:send_message.message_id"}),
    "overdue_acks": Sample({"to_agent": "101"}),
    "ack_message": Sample({"agent_id": "101", "message_ids": ["$ref:send_message.message_id"]}),
    "acquire_lease": Sample({"name": "go", "holder": "101", "ttl_seconds": 30}),
    "get_lease": Sample({"name": "go"}),
    "release_lease": Sample({"name": "go", "holder": "101", "token": "$ref:acquire_lease.token"}),
}
