"""参保信息: the resident's insurance status and contribution years."""
