"""Signal receivers. Per the architecture, signals may call services but hold no logic of their own;
counters and events are maintained by the services that make the change (see services/), so that
they happen exactly once, inside the same transaction, and are easy to test."""
