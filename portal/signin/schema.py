"""How the OpenAPI schema describes our two authentication schemes."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TerminalSignatureScheme(OpenApiAuthenticationExtension):
    target_class = "portal.signin.authentication.TerminalSignatureAuthentication"
    name = "terminalSignature"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Terminal-Key",
            "description": (
                "Institution terminals sign every request: HMAC-SHA256 with the terminal secret over "
                "METHOD\\nPATH?QUERY\\nX-Timestamp\\nX-Nonce\\nSHA256_HEX(body), base64 in X-Signature. "
                "Requests older than 5 minutes or with a reused nonce are refused."
            ),
        }


class ResidentTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.signin.authentication.ResidentTokenAuthentication"
    name = "residentToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "App token from POST /api/v1/auth/login (client=app).",
        }
