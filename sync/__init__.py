"""sync: what crosses between a point and its center.

Events (`events`), the hybrid logical clock that orders them (`hlc`), the pure merge that folds them
into state plus conflicts (`merge`), the signed and encrypted parcels that carry them (`crypto`,
`parcel`), and the transports (HTTP, folder). Nothing here reads a wall clock or a database on its own:
callers pass "now" and the data in.
"""
