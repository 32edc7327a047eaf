"""What several vendor connectors share: money, times, webhook signatures, purchase cursors, locations."""
