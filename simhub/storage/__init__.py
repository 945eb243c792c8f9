"""SQLAlchemy storage: tables, repositories implementing the core's ports, Alembic migrations.

Table modules beyond ``tables`` are imported here so that ``Base.metadata`` always holds every
table (migrations are checked against it).
"""

from simhub.storage import evaluation_tables as evaluation_tables
from simhub.storage import scenario_tables as scenario_tables
