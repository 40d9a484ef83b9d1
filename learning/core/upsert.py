"""Insert a row unless its unique key exists: race-free on SQLite and PostgreSQL."""

from sqlalchemy.dialects import postgresql, sqlite

from learning.extensions import db


def insert_ignore(model, values: dict, index_elements: list[str]) -> bool:
    """Insert `values` into `model`'s table; return False if the unique key already existed."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = getattr(model, "__table__", model)  # a model or a Table
    # RETURNING tells whether a row went in (rowcount is unreliable for this on psycopg).
    statement = (
        module.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=index_elements)
        .returning(*table.primary_key.columns)
    )
    return db.session.execute(statement).first() is not None


def upsert_rows(model, rows: list[dict], index_elements: list[str], session=None) -> None:
    """Insert rows, or update every other column where the key exists (one statement a batch).

    Used for figures derived from other tables: two transactions refreshing the same row at
    once both succeed, the later one wins.
    """
    if not rows:
        return
    session = session or db.session
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = getattr(model, "__table__", model)  # a model or a Table
    columns = [c for c in rows[0] if c not in index_elements]
    statement = module.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=index_elements, set_={c: statement.excluded[c] for c in columns}
    )
    # Rows as parameters, not in the statement: SQLAlchemy sends them in batches
    # ("insertmanyvalues"); building one huge multi-row VALUES took most of the time.
    session.execute(statement, rows)


def insert_ignore_rows(model, rows: list[dict], index_elements: list[str], session=None) -> None:
    """Insert the rows whose key is not there yet (one statement)."""
    if not rows:
        return
    session = session or db.session
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(getattr(model, "__table__", model)).on_conflict_do_nothing(
        index_elements=index_elements
    )
    session.execute(statement, rows)
