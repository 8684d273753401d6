"""Find identifying details in Dutch free text before anything is stored.

A Voorkomen record is a working note about a child at risk, never the client
file: it must not hold names, places, schools, dates of birth, ages, BSN,
phone numbers, e-mail addresses, postcodes or bank account numbers. This
package finds them with libraries made for the job (``deduce`` for names,
places and institutions in Dutch text; ``python-stdnum`` for BSN and IBAN
check digits; ``phonenumbers`` for phone numbers) and says, in Dutch, what
it found, so the user can rephrase or have it replaced by a neutral word.
"""

from bot.identify.detector import Detector, PatternDetector
from bot.identify.findings import Finding, Kind, describe, redact

__all__ = ["Detector", "Finding", "Kind", "PatternDetector", "describe", "redact"]
