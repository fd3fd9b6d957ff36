"""Receipt printer (ESC/POS): Chinese text encoding, status, spool and simulator."""
