"""WeChat Pay (API v3): the adapter (``client``), its daily trade bill (``bill``), and, for development
and tests only, a stand-in that speaks the same protocol (``standin``) with its own keys (``devkeys``)."""
