"""Field mode: the laptop serves tablets over its own network, on HTTPS and plain HTTP.

- `network`: the laptop's local IPv4 addresses and the one to put in the QR code.
- `tls`: a local certificate authority, made once, and the server certificate it signs.
- `server`: the same app on HTTPS (office tablets) and HTTP (villagers' own phones).
- `views`: the authority's certificate and the install guide, only while field mode is on.
- `cli`: the `field` command.

This room imports `learning.core` only; the factory and the CLI wire it in.
"""
