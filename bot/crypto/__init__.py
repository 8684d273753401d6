"""Encryption at rest: free text, records and waiting messages are sealed per organisation.

The database holds answers about children at risk. A copied database file, a
backup or a disk left behind must not show them. Every organisation has its
own data keys (AES-256-GCM, authenticated); those keys are stored only
wrapped by a master key that lives outside the database (environment or a
key file). Rotating an organisation's key re-seals its data without downtime;
rotating the master key re-wraps the data keys.
"""

from bot.crypto.keyring import KeyRing, KeyStore, MemoryKeyStore, WrappedKey
from bot.crypto.master import MasterKey, MasterKeyMissingError
from bot.crypto.sealing import SealError, is_sealed

__all__ = [
    "KeyRing",
    "KeyStore",
    "MasterKey",
    "MasterKeyMissingError",
    "MemoryKeyStore",
    "SealError",
    "WrappedKey",
    "is_sealed",
]
