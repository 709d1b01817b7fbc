"""sync: what crosses between a point and its center, and the pure rules both sides apply to it.

Events (`events`) and the hybrid logical clock that orders them (`hlc`); what each party may send
(`policy`, `schema`); the pure merge that folds events into state plus conflicts (`merge`,
`conflict_rules`), lays the state out as rows (`folding`) and shows a conflict to a person
(`conflict_review`, over either side's table: `conflict_table`); the signed and encrypted parcels,
receipts and scan chunks that carry them (`crypto`, `parcel`, `receipt`, `blobs`, the sender's
spool `outbox`) and the two signed documents of enrollment by file and key rotation
(`enrollfile`, `key_rotation`); and the carriers that move the bytes (`carrier`, HTTP through
`transport`, a USB stick through `stickcarrier`, `folder`, `stickfs`).

sync imports only the ground floor (`motcua`) and opens no database: the rules take "now" and the
data as arguments, and `conflict_table` queries whichever side's models it is given.
"""
