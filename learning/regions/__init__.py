"""Provinces > regencies > districts > villages, with their official Kemendagri codes."""
