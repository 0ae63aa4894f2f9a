"""Tables of the people, topics and machines the work graph refers to (§4.0 User, §4.1 Topic, §4.1B Host)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

from odm.domain.models._columns import Metadata, double, now_column, string, text_array, timestamp

__all__ = ["Host", "Topic", "TopicRelation", "User"]


class User(Metadata, table=True):
    __tablename__ = "users"
    __table_args__ = (Index("users_one_primary", "is_primary", unique=True, postgresql_where="is_primary"),)

    id: str = string(nullable=False, primary_key=True)
    name: str = string(nullable=False, unique=True)
    email: str | None = string()
    role: str = string(nullable=False)  # founder | operator | reviewer | observer
    auth_accounts: list[str] = text_array()
    is_primary: bool = False
    notification_channels: list[str] = text_array()  # sse | email | telegram | slack | webhook
    status: str = string(nullable=False, default="active")  # active | inactive


class Topic(Metadata, table=True):
    __tablename__ = "topics"
    __table_args__ = (Index("topics_parent", "parent_topic_id"),)

    id: str = string(nullable=False, primary_key=True)
    name: str = string(nullable=False)
    parent_topic_id: str | None = Field(default=None, sa_type=Text, foreign_key="topics.id")
    taxonomy: list[str] = text_array()
    description: str = string(nullable=False, default="")


class TopicRelation(SQLModel, table=True):
    """``related_topics``: kept in both directions."""

    __tablename__ = "topic_relations"
    __table_args__ = (CheckConstraint("topic_id <> related_topic_id"),)

    topic_id: str = Field(sa_type=Text, foreign_key="topics.id", primary_key=True)
    related_topic_id: str = Field(sa_type=Text, foreign_key="topics.id", primary_key=True)


class Host(Metadata, table=True):
    __tablename__ = "hosts"

    id: str = string(nullable=False, primary_key=True)
    name: str = string(nullable=False, unique=True)
    role: str = string(nullable=False)  # control_plane | worker | hybrid | gpu | product
    ip_tailscale: str | None = string()
    ip_public: str | None = string()
    os: str = string(nullable=False, default="")
    cpu_model: str = string(nullable=False, default="")
    vcpus: int = 0
    ram_gb: float = double()
    ssd_gb: float = double()
    gpu: str | None = string()
    reserved_ram_gb: float = double()
    available_ram_gb: float = double()
    ram_per_agent_gb: float = double()
    max_concurrent_agents: int = 0
    active_agents: int = 0
    active_services: list[str] = Field(default_factory=list, sa_type=ARRAY(Text), nullable=False)
    status: str = string(nullable=False, default="online")  # online | offline | degraded | maintenance
    commissioned_at: datetime = now_column()
    decommissioned_at: datetime | None = timestamp()
