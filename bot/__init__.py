"""newsqa front doors: CLI, HTTP API, Telegram bot — thin adapters over `retrieval`."""
