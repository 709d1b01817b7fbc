"""motcua: offline-first one-stop reception.

This package is the ground floor both sides stand on: the lifecycle of a dossier, deadlines and
legal time, identity and text rules, the errors catalogue, durable files, the tables both sides
declare once, the one migration runner, accounts and throttles, the JSON API's shared parts, the
jobs scheduler; and, above everything, the composition root (`apps`) and the `motcua` command
(`cli`, `demo`, `parcel_cli`). The node lives in `node/`, the center in `central/`, sync (parcels,
crypto, merge, carriers) in `sync/`, the pages in `webui/`.
"""
