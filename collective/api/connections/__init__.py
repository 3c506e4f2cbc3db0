"""API area `connections`.

Connections, follows and blocks (docs/connections.md).
"""
