"""A host app that syncs many Jet accounts on procrastinate workers over one PostgreSQL database.

``config`` reads the accounts and the database from a JSON file; ``tasks`` holds the
procrastinate app, the per-account sync task and its schedule. See ``README.md`` here.
"""
