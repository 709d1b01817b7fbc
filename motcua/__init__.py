"""motcua: offline-first one-stop reception.

This package holds what both sides share and that needs no database: the lifecycle of a dossier,
deadlines, identity and text rules, and the `motcua` command. The node lives in `node/`, the center in
`central/`, sync (parcels, crypto, merge) in `sync/`, the templates in `webui/`.
"""
