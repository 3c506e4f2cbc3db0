"""API area `messages`.

Message threads: the list, a thread, its messages (send, edit, delete), read markers, archive (docs/messaging.md).
"""
