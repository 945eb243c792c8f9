from tests.session.conftest import facility

__all__ = ["facility"]
