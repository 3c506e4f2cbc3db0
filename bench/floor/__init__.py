"""The floor: the least a Django Channels app can do to carry a POST to another user's socket.

No database, no auth, no event log: a consumer joined to group `user.<id>` and an async view that
calls `group_send`. Same server, same channel layer as the project, so the difference between the
two is what the project adds.
"""
