"""Typed application state: every `app[...]` key of the gateway is declared here."""

from __future__ import annotations

from aiohttp import web

from keys import KeyStore

from .config import GatewayConfig
from .db import Database
from .privacy import PrivacyCipher
from .reissue import Runner
from .services import Services

config_key = web.AppKey("config_key", GatewayConfig)
services_key = web.AppKey("services_key", Services)
db_key = web.AppKey("db_key", Database)
keystore_key = web.AppKey("keystore_key", KeyStore)
cipher_key = web.AppKey("cipher_key", PrivacyCipher)
reissue_runner_key = web.AppKey("reissue_runner_key", Runner)
