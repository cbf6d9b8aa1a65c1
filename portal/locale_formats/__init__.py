"""Date formats where ours differ from Django's (FORMAT_MODULE_PATH)."""
