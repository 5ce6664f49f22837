"""Warehouse-native measures and the health export: SQL run in a customer's warehouse.

    connect.py  SQLAlchemy URLs: which dialects, the password from an environment variable, a
                read-only transaction with a statement timeout, and a row limit on every fetch
    kinds.py    the `warehouse.KEY` / `warehouse_low.KEY` measure kinds scorecards name, read from
                the stored daily values like every other measure
    runs.py     running a measure (or previewing it): fetch, match accounts, store values, record
    export.py   health scores, bands and renewals written to a warehouse table, upserted per day

The definitions live in health because measures do: the catalogue and the as-of-day computation
are here, and every app that reads measures (scorecards, success plans, risk) sits above it.
"""
