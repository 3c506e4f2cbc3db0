"""What payments does when other apps announce something (none yet; see services for what it announces)."""
