"""Insert a row unless its unique key exists: race-free on SQLite and PostgreSQL."""

from sqlalchemy.dialects import postgresql, sqlite

from learning.extensions import db


def insert_ignore(model, values: dict, index_elements: list[str]) -> bool:
    """Insert `values` into `model`'s table; return False if the unique key already existed."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    # RETURNING tells whether a row went in (rowcount is unreliable for this on psycopg).
    statement = (
        module.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=index_elements)
        .returning(*table.primary_key.columns)
    )
    return db.session.execute(statement).first() is not None
