"""Operations' view of the running service: structured logs with a request id (``logs``), Prometheus
metrics (``metrics``) and liveness and readiness (``health``)."""
