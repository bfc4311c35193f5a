"""Local stand-ins for the vendors EventChain talks to: real HTTP servers on loopback.

Each fake validates every request it receives and every response it sends against the vendor's
published contract in ../shared/specs/, so a test passing against a fake means the vendor would
have accepted the call. Production code reaches them only through base-URL settings.
"""

import os
from pathlib import Path

SPECS_DIR = Path(os.environ.get("EVENTCHAIN_SPECS_DIR", Path(__file__).resolve().parents[3] / "shared" / "specs"))
