"""消费明细: the personal-account statement with filters."""
