"""The Redis broker transport, with one upstream bug worked around (issue 10, item 4).

Celery 5.7 + kombu 5.7, Redis transport: when the broker connection is lost while the worker holds
unacknowledged messages (an ETA/countdown task waiting in the worker, or an `acks_late` task
running), the worker exits with `CRITICAL Unrecoverable error: AttributeError("'NoneType' object
has no attribute 'hostname'")` instead of reconnecting. The sequence, in
`celery.worker.consumer.Consumer.on_connection_error_after_connected`:

1. `connection.collect()`: the Redis transport has no `_collect`, so kombu closes the default
   channel; that close fails half-way (Redis is gone) and the error is swallowed, leaving the channel
   open; then `_do_close_transport()` detaches the transport (`transport.client = None`).
2. `connection.close()` closes the same channel again; its QoS restores the unacknowledged messages,
   which needs a new connection pool, whose parameters are read from `transport.client.hostname`:
   the AttributeError. `ignore_errors` only ignores connection and channel errors, so it escapes the
   consumer and stops the worker.

No setting avoids it (the solo pool, `--without-heartbeat/--without-gossip/--without-mingle`,
`broker_connection_retry*` and `worker_cancel_long_running_tasks_on_connection_loss` all leave the
path unchanged; reproduced with each). The smallest fix: a channel that remembers which broker its
connection pointed at, so that step 2 builds its pool and either restores the messages (the broker
is back) or fails with a connection error that kombu ignores as designed (the broker is still down).
Remove this module when kombu or Celery fixes the close sequence (`tests/config/test_broker.py`
shows whether the stock transport still needs it).
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def __init__(self, connection: Any, *args: Any, **kwargs: Any) -> None:
        # The kombu Connection this channel's transport serves; collect() may detach it later.
        self._broker_client = connection.client
        super().__init__(connection, *args, **kwargs)

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        transport = self.connection
        if transport.client is not None or self._broker_client is None:
            return super()._connparams(asynchronous=asynchronous)
        # The transport was detached by Connection.collect(); read the parameters it had, and leave
        # it detached (the connection is being torn down; the consumer reconnects with a new one).
        transport.client = self._broker_client
        try:
            return super()._connparams(asynchronous=asynchronous)
        finally:
            transport.client = None


class Transport(kombu_redis.Transport):
    Channel = Channel
