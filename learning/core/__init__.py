"""What every room shares: stable ids, time, the audit log, citations, signals."""
