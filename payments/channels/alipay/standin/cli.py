"""The command line: ``python -m payments.channels.alipay.standin [--host H] [--port P] [--manual-refunds]
[--quiet]`` serves the Alipay stand-in with the development keys (``payments/channels/alipay/devkeys/``).
"""

from __future__ import annotations

from typing import Any

from payments.channels.standin_kit import serve_from_command_line


def main(argv: list[str] | None = None) -> None:
    """Serve the stand-in with the development keys until interrupted (Ctrl-C)."""
    from payments.channels.alipay import standin as package  # its docstring says what the stand-in is
    from payments.channels.alipay.dev import dev_config, dev_standin

    config = dev_config()

    def details(standin: Any) -> str:
        return f"gateway {standin.gateway}  app_id {config['app_id']}  seller_id {config['seller_id']}"

    serve_from_command_line(
        argv,
        prog="python -m payments.channels.alipay.standin",
        description=(package.__doc__ or "").splitlines()[0],
        port=8766,
        title="Alipay stand-in",
        make=dev_standin,
        details=details,
    )
