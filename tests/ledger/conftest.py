"""The ledger tests start servers the way the delivery tests do: the one `delivery_server` fixture."""

from tests.delivery.conftest import delivery_server

__all__ = ["delivery_server"]
