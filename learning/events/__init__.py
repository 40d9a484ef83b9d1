"""Sosialisasi events, kiosk sessions on shared tablets, participants and event reports."""
