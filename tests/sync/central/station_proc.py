"""A station in its own process, for the kill tests: owns an outbox in a SQLite file, adds
events, and syncs them with SyncClient. Prints `sync` before a pass and `pass <json>` after.

usage: station_proc.py OUTBOX STATION_ID KEY_HEX URL APPEND TARGET CENTRAL_KEYS_JSON
Appends APPEND events (never past TARGET) then runs one pass; exits 0 printing `done` when
the centre holds everything up to TARGET.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from helpers import SqliteOutbox

from sync.client import SyncClient
from sync.crypto import KeyPair, PublicKeys


def main() -> int:
    outbox_path, station_id, key_hex, url, append, target, central = sys.argv[1:8]
    outbox = SqliteOutbox(Path(outbox_path), station_id)
    keys = KeyPair.from_bytes(bytes.fromhex(key_hex))
    client = SyncClient(url, station_id, keys, outbox.read, last_seq=outbox.last_seq,
                        central_keys=PublicKeys.from_dict(json.loads(central)),
                        allow_plain_http=True, batch_events=15, attempts=2,
                        backoff_base=0.01)  # fmt: skip
    missing = int(target) - outbox.last_seq()
    if missing > 0:
        outbox.append(min(int(append), missing))
    print("sync", flush=True)
    result = client.sync_once()
    print("pass", json.dumps(result.to_dict()), flush=True)
    if result.complete and result.acked_seq >= int(target):
        print("done", flush=True)
        return 0
    return 3


if __name__ == "__main__":
    sys.exit(main())
