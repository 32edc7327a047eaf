"""The POS connector hub: a Flask service between POS systems and the food catalog."""

from hub.app import create_app

__all__ = ["create_app"]
